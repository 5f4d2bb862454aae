"""What the three documents share, read once from a trace: the libraries of the chain, the
sources and their declarations, the processing steps, the dates of the data, and the one
timestamp an export carries.

Everything here comes from the trace's details (``report/describe.py``) and the datasets'
facets; nothing is guessed. Author names appear only as the extraction's author policy left
them in the events (names, salted tokens or none), and no document text is read.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from typing import Any

from llm_lineage import __version__
from llm_lineage.compliance.selection import Traced
from llm_lineage.events.kinds import DOCUMENTS
from llm_lineage.report.facets import at, items, text
from llm_lineage.report.trace import Node

#: The name this provider goes by in every document's tool list.
TOOL = "airflow-provider-llm-lineage"
#: Namespace of the deterministic ids (CycloneDX serial numbers, Croissant ids).
ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://github.com/llm-lineage/")


def stamp(now: dt.datetime | None) -> str:
    """The export's one timestamp: ``now`` (UTC, to the second), the time of the export by
    default. It is the only value that differs between two exports of the same lineage."""
    moment = now or dt.datetime.now(dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def stable_id(*parts: str | None) -> str:
    """A UUID fixed by ``parts`` (a dataset's URI and version): the same lineage, the same id."""
    return str(uuid.uuid5(ID_NAMESPACE, "\n".join(part or "" for part in parts)))


@dataclass(frozen=True)
class Library:
    name: str
    version: str

    @property
    def ref(self) -> str:
        return f"library:{self.name}@{self.version}"


def libraries(node: Node) -> list[Library]:
    """The libraries the run that wrote ``node`` used: its chain steps' and its training's."""
    step = node.step
    if step is None:
        return []
    found = {
        Library(str(t["library"]), str(t["version"]))
        for t in step.transforms
        if t.get("library") and t.get("version")
    }
    training = step.training or {}
    found.update(
        Library(str(name), version)
        for name, version in (training.get("libraries") or {}).items()
        if isinstance(version, str) and version
    )
    return sorted(found, key=lambda lib: (lib.name, lib.version))


def processing(traced: Traced) -> list[dict[str, Any]]:
    """Every step of the chain from the documents to the root, oldest first: name, stage,
    library and version, and its parameters."""
    steps: list[dict[str, Any]] = []
    for node in reversed(traced.steps()):
        assert node.step is not None
        steps.extend(
            {
                "dataset": node.id.uri,
                "name": t.get("name"),
                "stage": t.get("stage"),
                "library": t.get("library"),
                "version": t.get("version"),
                "parameters": t.get("parameters") or {},
            }
            for t in node.step.transforms
        )
    return steps


def sources(traced: Traced) -> list[dict[str, Any]]:
    """The document collections of the trace, with their counts, dates and declarations."""
    found = []
    for node in traced.of_kind(DOCUMENTS):
        details = node.details
        found.append(
            {
                "uri": node.id.uri,
                "namespace": node.id.namespace,
                "version": node.version,
                "documents": details.get("documents"),
                "bytes": details.get("bytes"),
                "formats": details.get("formats") or {},
                "created": details.get("created") or {},
                "modified": details.get("modified") or {},
                "author_policy": details.get("author_policy"),
                "declaration": details.get("declaration"),
            }
        )
    return found


def read_dates(traced: Traced, kind: str) -> list[str]:
    """When each run that wrote a dataset of ``kind`` in the trace ended, in order (for the
    extracted text: when the documents were acquired)."""
    return sorted(
        ended
        for node in traced.steps()
        if node.kind == kind and node.step is not None and (ended := node.step.run.brief()["time"])
    )


def schema_fields(traced: Traced, node: Node) -> list[tuple[str, str, str | None]]:
    """The dataset's columns from its ``schema`` facet: name, type, description."""
    return [
        (name, _type(field), text(field, "description"))
        for field in items(traced.facets(node), "schema", "fields")
        if (name := text(field, "name"))
    ]


def _type(field: dict[str, Any]) -> str:
    """A field's type; an array's as ``array<element type>`` (its ``_element`` sub-field)."""
    kind = text(field, "type") or "string"
    if kind == "array":
        element = next((text(f, "type") for f in items(field, "fields")), None)
        return f"array<{element or 'string'}>"
    return kind


def facet_value(traced: Traced, node: Node, *path: str) -> Any:
    return at(traced.facets(node), *path)


def dumps(document: dict[str, Any]) -> str:
    """The one serialisation of every JSON export: key order as built, two-space indent."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def tool() -> dict[str, str]:
    return {"name": TOOL, "version": __version__}
