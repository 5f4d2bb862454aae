"""What the DAG-run Lineage view shows: the run's chain of datasets and the tasks between them.

Each task's document names what it read and wrote; a dataset that one task writes and another
reads (same namespace and name) joins them, which is how documents, text, tokens and the adapter
line up across tasks. Stages are ordered by that flow, then by start time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_lineage.plugins import facets as f
from llm_lineage.plugins.store import RunReports, TaskReport

DatasetKey = tuple[str, str]


@dataclass(frozen=True)
class DatasetRef:
    namespace: str
    name: str
    version: str | None
    kind: str | None

    @property
    def key(self) -> DatasetKey:
        return self.namespace, self.name


@dataclass(frozen=True)
class Stage:
    report: TaskReport
    failed: bool
    inputs: list[DatasetRef]
    outputs: list[DatasetRef]
    code: dict[str, Any] | None = None
    """The task's code and environment (``facets.code_and_environment``)."""


@dataclass
class DatasetNode:
    namespace: str
    name: str
    kind: str | None = None
    versions: list[str] = field(default_factory=list)
    producers: list[str] = field(default_factory=list)
    consumers: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Edge:
    source: DatasetRef
    task: str
    target: DatasetRef


@dataclass(frozen=True)
class RunView:
    dag_id: str
    run_id: str
    stages: list[Stage]
    datasets: list[DatasetNode]
    edges: list[Edge]
    silent: list[TaskReport]
    """Task instances that reported no lineage document."""
    total: int
    shown: int


def _refs(document: dict[str, Any], side: str) -> list[DatasetRef]:
    return [
        DatasetRef(
            namespace=f.text(d.get("namespace")) or "",
            name=f.text(d.get("name")) or "",
            version=f.version(d),
            kind=f.kind(d),
        )
        for d in f.datasets(document, side)
    ]


def ordered(stages: list[Stage]) -> list[Stage]:
    """Stages in data-flow order (a writer before its readers), else in the order given.

    Each round takes the first stage, in the given order, that reads nothing a stage not yet
    taken writes; a cycle (a task rewriting its own input) falls back to the given order.
    """
    remaining = list(stages)
    result: list[Stage] = []
    while remaining:
        written = {ref.key for stage in remaining for ref in stage.outputs}
        ready = next(
            (
                stage
                for stage in remaining
                if not any(
                    ref.key in written and ref.key not in {o.key for o in stage.outputs}
                    for ref in stage.inputs
                )
            ),
            remaining[0],
        )
        remaining.remove(ready)
        result.append(ready)
    return result


def _nodes(stages: list[Stage]) -> list[DatasetNode]:
    nodes: dict[DatasetKey, DatasetNode] = {}
    for stage in stages:
        sides = ((stage.inputs, "consumers"), (stage.outputs, "producers"))
        for refs, role in sides:
            for ref in refs:
                node = nodes.setdefault(ref.key, DatasetNode(ref.namespace, ref.name))
                # An output's facets say most about what a dataset is; an input's kind only
                # fills the gap.
                if ref.kind and (role == "producers" or node.kind is None):
                    node.kind = ref.kind
                if ref.version and ref.version not in node.versions:
                    node.versions.append(ref.version)
                tasks: list[str] = getattr(node, role)
                if stage.report.label not in tasks:
                    tasks.append(stage.report.label)
    return list(nodes.values())


def run_view(dag_id: str, run_id: str, found: RunReports) -> RunView:
    stages: list[Stage] = []
    silent: list[TaskReport] = []
    for report in found.reports:
        document = report.document
        if document is None:
            silent.append(report)
            continue
        failed = document.get("eventType") == "FAIL"
        stages.append(
            Stage(
                report,
                failed,
                _refs(document, "inputs"),
                _refs(document, "outputs"),
                f.code_and_environment(document),
            )
        )
    flow = ordered(stages)
    edges = [
        Edge(source, stage.report.label, target)
        for stage in flow
        for source in stage.inputs
        for target in stage.outputs
    ]
    return RunView(
        dag_id=dag_id,
        run_id=run_id,
        stages=flow,
        datasets=_nodes(flow),
        edges=edges,
        silent=silent,
        total=found.total,
        shown=len(found.reports),
    )
