"""Trace: from a dataset back through the runs that made it to the documents it came from.

Each step asks the index which run wrote this version last before the consumer read it, and
goes on to that run's inputs at the versions it read. So a trace shows every dataset as it was
at the time, even after later runs rewrote it. A dataset no job wrote (a document collection, a
base model) ends its branch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from llm_lineage.lineage.naming import DatasetId
from llm_lineage.report.describe import (
    chain,
    code_details,
    dataset_details,
    environment_details,
    resource_details,
    training_details,
)
from llm_lineage.report.graph import Lineage
from llm_lineage.report.model import Run
from llm_lineage.report.timeutil import iso

#: Deeper than any pipeline of this provider; a guard against a pathological event set.
MAX_DEPTH = 64


@dataclass
class Step:
    """The run that wrote a node's version, and what it applied."""

    run: Run
    transforms: list[dict[str, Any]]
    training: dict[str, Any] | None
    resources: dict[str, Any]
    code: dict[str, Any] | None = None
    environment: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.run.brief(),
            "dag_id": self.run.dag_id,
            "state": self.run.state,
            "transforms": self.transforms,
            "training": self.training,
            "resources": self.resources,
            "code": self.code,
            "environment": self.environment,
        }


@dataclass
class Node:
    """One dataset at one version, and the inputs of the run that wrote it."""

    id: DatasetId
    kind: str
    version: str | None
    written: dt.datetime | None
    size: int | None
    details: dict[str, Any]
    step: Step | None = None
    inputs: list[Node] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "namespace": self.id.namespace,
            "name": self.id.name,
            "uri": self.id.uri,
            "kind": self.kind,
            "version": self.version,
            "written": iso(self.written),
            "size": self.size,
            "details": self.details,
            "produced_by": self.step.as_dict() if self.step else None,
            "inputs": [node.as_dict() for node in self.inputs],
        }

    def walk(self) -> list[Node]:
        """This node and every node under it, depth first."""
        return [self, *(node for child in self.inputs for node in child.walk())]


def trace(lineage: Lineage, key: DatasetId, version: str | None = None) -> Node:
    """The tree under ``key`` at ``version`` (its current version when None)."""
    return _node(lineage, key, version or lineage.datasets[key].current, None, ())


def _node(
    lineage: Lineage,
    key: DatasetId,
    version: str | None,
    before: dt.datetime | None,
    path: tuple[tuple[DatasetId, str | None], ...],
) -> Node:
    history = lineage.datasets[key]
    written = lineage.producer(key, version, before)
    if version is None and written is not None:
        version = written.version
    node = Node(
        id=key,
        kind=history.kind,
        version=version,
        written=written.time if written else None,
        size=history.size(version),
        details=dataset_details(history.kind, history.facets(version)),
    )
    if written is None or (key, version) in path or len(path) >= MAX_DEPTH:
        return node
    run = written.run
    node.step = _step(lineage, run, history.facets(version))
    read_at = run.started or run.ended
    node.inputs = [
        _node(lineage, seen.id, seen.version, read_at, (*path, (key, version)))
        for seen in run.inputs
    ]
    return node


def _step(lineage: Lineage, run: Run, output_facets: dict[str, Any]) -> Step:
    """The steps this run added: its output's chain less the steps its inputs already had."""
    known = {
        step["fingerprint"]
        for seen in run.inputs
        for step in chain(lineage.datasets[seen.id].facets(seen.version))
    }
    added = [
        {key: value for key, value in step.items() if key != "fingerprint"}
        for step in chain(output_facets)
        if step["fingerprint"] not in known
    ]
    facets = run.facets
    return Step(
        run,
        added,
        training_details(facets),
        resource_details(facets),
        code_details(facets),
        environment_details(facets),
    )


def adapter_traces(lineage: Lineage) -> list[Node]:
    """A trace of every adapter at its current version: what a page shows by default."""
    from llm_lineage.events.kinds import ADAPTER

    return [
        trace(lineage, key)
        for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri)
        if history.kind == ADAPTER and history.writes
    ]


def not_found(lineage: Lineage, text: str) -> str:
    """The message for a dataset the lineage does not hold, naming a few adapters it does."""
    from llm_lineage.events.kinds import ADAPTER

    adapters = [key.uri for key, h in lineage.datasets.items() if h.kind == ADAPTER][:5]
    known = f"; adapters it knows: {', '.join(adapters)}" if adapters else ""
    return f"no dataset {text!r} in the lineage{known}"


def pick_version(lineage: Lineage, key: DatasetId, prefix: str) -> list[str]:
    """The versions of ``key`` that start with ``prefix`` (a full hash or its first digits)."""
    return [v for v in lineage.datasets[key].versions() if v.startswith(prefix.lower())]
