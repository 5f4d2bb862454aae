"""Which dataset an export is about, chosen as ``report trace`` chooses one, and its trace.

An unknown name gets the report's own message (``report.trace.not_found``); a dataset of the
wrong kind (a token file given to ``export cyclonedx``) says what it is and what is expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.report.graph import Lineage
from llm_lineage.report.trace import Node, not_found, pick_version, trace


class ExportError(LlmLineageError, LookupError):
    """The export cannot be made from this lineage: the message says why and names the input."""


@dataclass
class Traced:
    """A dataset traced back to its documents, with every dataset of its trace once."""

    lineage: Lineage
    root: Node
    nodes: list[Node]

    def of_kind(self, *kinds: str) -> list[Node]:
        return [node for node in self.nodes if node.kind in kinds]

    def facets(self, node: Node) -> Mapping[str, Any]:
        """The facets of ``node``'s dataset at its version, as the events carried them."""
        return self.lineage.datasets[node.id].facets(node.version)

    def steps(self) -> list[Node]:
        """The nodes some run of the trace wrote, in trace order."""
        return [node for node in self.nodes if node.step is not None]


def select(
    lineage: Lineage, text: str, version: str | None, kinds: tuple[str, ...], command: str
) -> Traced:
    """The dataset ``text`` names (URI, path or name), at ``version`` (a prefix will do) or its
    current version, traced; ``ExportError`` when it is unknown or not one of ``kinds``."""
    key = lineage.find(text)
    if key is None:
        raise ExportError(not_found(lineage, text))
    kind = lineage.datasets[key].kind
    if kind not in kinds:
        raise ExportError(
            f"{key.uri} is a {kind} dataset; export {command} takes {' or '.join(kinds)}"
        )
    chosen = None
    if version:
        found = pick_version(lineage, key, version)
        if len(found) != 1:
            raise ExportError(f"{len(found)} versions of {key.uri} start with {version!r}")
        chosen = found[0]
    root = trace(lineage, key, chosen)
    unique: dict[tuple[str, str | None], Node] = {}
    for node in root.walk():
        unique.setdefault((node.id.uri, node.version), node)
    return Traced(lineage, root, list(unique.values()))
