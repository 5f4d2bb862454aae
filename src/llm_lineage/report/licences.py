"""Licence: which adapters were trained on sources declared under a licence (for a takedown or a
licence change).

Every version of every adapter the lineage saw written is traced back to its document
collections (``trace.py``); a collection's licence is what the pipeline's operator declared
(``llmLineage_documentCollection.declaration``, see ``lineage/declaration.py``). An adapter
version whose trace reaches a collection without a declaration is listed apart: the lineage
cannot say under which licence that data was, so it is neither in nor out of the answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_lineage.events.kinds import ADAPTER, DOCUMENTS
from llm_lineage.report.graph import Lineage
from llm_lineage.report.timeutil import iso
from llm_lineage.report.trace import Node, trace


@dataclass
class Trained:
    """One adapter version, and the document collections behind it."""

    adapter: Node
    declared: list[Node] = field(default_factory=list)
    undeclared: list[Node] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "adapter": self.adapter.id.uri,
            "version": self.adapter.version,
            "written": iso(self.adapter.written),
            "sources": [_source(node) for node in self.declared],
            "undeclared_sources": [node.id.uri for node in self.undeclared],
        }


@dataclass
class LicenceAnswer:
    licence: str
    matching: list[Trained]
    unknown: list[Trained]

    def as_dict(self) -> dict[str, Any]:
        return {
            "licence": self.licence,
            "adapters": [entry.as_dict() for entry in self.matching],
            "adapters_with_undeclared_sources": [entry.as_dict() for entry in self.unknown],
        }


def _source(node: Node) -> dict[str, Any]:
    return {"uri": node.id.uri, "version": node.version, **(node.details["declaration"] or {})}


def _licence(node: Node) -> str | None:
    declared = node.details.get("declaration")
    return declared.get("licence") if declared else None


def trained_on(lineage: Lineage, licence: str) -> LicenceAnswer:
    """Adapter versions with a source under ``licence`` (compared without case), and those
    whose sources include one without a declaration."""
    wanted = licence.strip().casefold()
    matching: list[Trained] = []
    unknown: list[Trained] = []
    for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri):
        if history.kind != ADAPTER:
            continue
        for version in dict.fromkeys(a.version for a in history.writes if a.version):
            entry = _sources(trace(lineage, key, version))
            licences = {(_licence(node) or "").casefold() for node in entry.declared}
            if wanted in licences:
                entry.declared = [
                    n for n in entry.declared if (_licence(n) or "").casefold() == wanted
                ]
                matching.append(entry)
            elif entry.undeclared:
                unknown.append(entry)
    return LicenceAnswer(licence, matching, unknown)


def _sources(root: Node) -> Trained:
    entry = Trained(root)
    seen: set[tuple[str, str | None]] = set()
    for node in root.walk():
        if node.kind != DOCUMENTS or (node.id.uri, node.version) in seen:
            continue
        seen.add((node.id.uri, node.version))
        (entry.declared if node.details.get("declaration") else entry.undeclared).append(node)
    return entry


def licence_text(answer: LicenceAnswer) -> str:
    """The answer for people: one block per adapter version."""
    lines = [f"Adapters trained on sources under licence {answer.licence!r}:"]
    if not answer.matching:
        lines.append("  none")
    for entry in answer.matching:
        lines.append(f"  {entry.adapter.id.uri} version {entry.adapter.version}")
        lines.extend(
            f"    source {node.id.uri} ({(node.details['declaration'] or {}).get('public_name')})"
            for node in entry.declared
        )
    if answer.unknown:
        lines.append("Adapters with sources that declare no licence (the lineage cannot say):")
        for entry in answer.unknown:
            lines.append(f"  {entry.adapter.id.uri} version {entry.adapter.version}")
            lines.extend(f"    source {node.id.uri}" for node in entry.undeclared)
    return "\n".join(lines) + "\n"
