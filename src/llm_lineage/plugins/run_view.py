"""What the DAG-run Lineage view shows: the run's chain of datasets and the tasks between them.

Each task's document names what it read and wrote; a dataset that one task writes and another
reads (same namespace and name) joins them, which is how documents, text, tokens and the adapter
line up across tasks. Stages are ordered by that flow, then by start time.

Any task may push the lineage key, with any number of datasets, so the view bounds what it
shows: MAX_TASK_DATASETS inputs and as many outputs per task, MAX_DATASETS rows of datasets and
MAX_EDGES edges per run, each list ending in "and K more". The order is computed on every
dataset a task names, in time linear in them (``flow.py``); only what is shown is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from llm_lineage.events.kinds import dataset_key, dataset_kinds
from llm_lineage.plugins import facets as f
from llm_lineage.plugins.flow import DatasetKey, flow_order
from llm_lineage.plugins.store import RunReports, TaskReport

#: Inputs shown per task, and outputs: this provider's steps name one to a few of each.
MAX_TASK_DATASETS = 20
#: Edges (input → task → output) shown per run view.
MAX_EDGES = 500
#: Rows of the run view's dataset table.
MAX_DATASETS = 500


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
    """The first MAX_TASK_DATASETS inputs; ``inputs_hidden`` more are not shown."""
    outputs: list[DatasetRef]
    inputs_hidden: int = 0
    outputs_hidden: int = 0
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
    datasets_hidden: int = 0
    """Datasets the run's documents name beyond those in ``datasets``."""
    edges_hidden: int = 0


def _ref(dataset: dict[str, Any], kinds: Mapping[DatasetKey, str]) -> DatasetRef:
    key = _key(dataset)
    return DatasetRef(
        namespace=key[0], name=key[1], version=f.version(dataset), kind=kinds.get(key)
    )


_key = dataset_key


def _stage(
    report: TaskReport,
    document: dict[str, Any],
    counts: tuple[int, int],
    kinds: Mapping[DatasetKey, str],
) -> Stage:
    """The stage with its first datasets of each side; the others are only counted."""
    inputs, outputs = counts
    shown_in = [_ref(d, kinds) for d in islice(f.datasets(document, "inputs"), MAX_TASK_DATASETS)]
    shown_out = [_ref(d, kinds) for d in islice(f.datasets(document, "outputs"), MAX_TASK_DATASETS)]
    failed = document.get("eventType") == "FAIL"
    return Stage(
        report,
        failed,
        shown_in,
        shown_out,
        inputs - len(shown_in),
        outputs - len(shown_out),
        f.code_and_environment(document),
    )


def _nodes(stages: list[Stage]) -> dict[DatasetKey, DatasetNode]:
    """The datasets the shown stages name, in flow order; each list holds a value once."""
    nodes: dict[DatasetKey, DatasetNode] = {}
    seen: set[tuple[DatasetKey, str, str]] = set()
    for stage in stages:
        label = stage.report.label
        for refs, role in ((stage.inputs, "consumers"), (stage.outputs, "producers")):
            for ref in refs:
                node = nodes.get(ref.key)
                if node is None:
                    node = nodes[ref.key] = DatasetNode(ref.namespace, ref.name)
                node.kind = ref.kind  # one label per dataset: events/kinds.py dataset_kinds
                if ref.version and (ref.key, "version", ref.version) not in seen:
                    seen.add((ref.key, "version", ref.version))
                    node.versions.append(ref.version)
                if (ref.key, role, label) not in seen:
                    seen.add((ref.key, role, label))
                    getattr(node, role).append(label)
    return nodes


def _edges(stages: list[Stage]) -> tuple[list[Edge], int]:
    """The first MAX_EDGES edges in flow order, and how many more the documents imply."""
    total = sum(
        (len(s.inputs) + s.inputs_hidden) * (len(s.outputs) + s.outputs_hidden) for s in stages
    )
    shown = (
        Edge(source, stage.report.label, target)
        for stage in stages
        for source in stage.inputs
        for target in stage.outputs
    )
    edges = list(islice(shown, MAX_EDGES))
    return edges, total - len(edges)


def run_view(dag_id: str, run_id: str, found: RunReports) -> RunView:
    documents: list[tuple[TaskReport, dict[str, Any]]] = []
    silent: list[TaskReport] = []
    for report in found.reports:
        document = report.document
        if document is None:
            silent.append(report)
        else:
            documents.append((report, document))
    sides = [
        (
            [_key(d) for d in f.datasets(doc, "inputs")],
            [_key(d) for d in f.datasets(doc, "outputs")],
        )
        for _, doc in documents
    ]
    order = flow_order([(set(reads), set(writes)) for reads, writes in sides])
    kinds = dataset_kinds(document for _, document in documents)
    counts = [(len(reads), len(writes)) for reads, writes in sides]
    flow = [_stage(*documents[i], counts[i], kinds) for i in order]
    named = {key for reads, writes in sides for key in (*reads, *writes)}
    nodes = list(_nodes(flow).values())
    edges, edges_hidden = _edges(flow)
    return RunView(
        dag_id=dag_id,
        run_id=run_id,
        stages=flow,
        datasets=nodes[:MAX_DATASETS],
        edges=edges,
        silent=silent,
        total=found.total,
        shown=len(found.reports),
        datasets_hidden=len(named) - min(len(nodes), MAX_DATASETS),
        edges_hidden=edges_hidden,
    )
