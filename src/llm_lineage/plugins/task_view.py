"""What the Lineage tab of one task instance shows, taken from its lineage document."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from llm_lineage.events import keys
from llm_lineage.events.kinds import DatasetKey, dataset_key, kind_of
from llm_lineage.plugins import facets as f
from llm_lineage.plugins.chart import LossChart, loss_chart
from llm_lineage.plugins.run_view import MAX_TASK_DATASETS
from llm_lineage.plugins.store import TaskReport

#: Characters of the raw document shown; this provider's documents stay far below it.
MAX_RAW_JSON = 1_000_000
RAW_CUT = "\n… (cut: the document is longer than the page shows)"

#: Task states in which a task may still push its lineage.
UNFINISHED = frozenset(
    {
        "none",
        "scheduled",
        "queued",
        "running",
        "deferred",
        "up_for_retry",
        "up_for_reschedule",
        "restarting",
    }
)
NO_DATA = "This task reported no llm-lineage data."
NOT_FINISHED = "This task has not finished yet: its lineage appears here when it does."
NOT_OURS = (
    "Only DocumentExtractionOperator, TokenizationOperator and LoRAFineTuningOperator report it."
)
FAILED_EARLY = (
    "If it is one of this provider's operators, it failed before it read anything (a missing "
    "source, tokenizer or base model, say); its log says why."
)
UNREADABLE = (
    "This task stored a value under the XCom key 'llm_lineage' that is not a lineage document "
    "this version can read (a custom XCom backend may keep the value elsewhere)."
)


@dataclass(frozen=True)
class DatasetView:
    role: str
    namespace: str | None
    name: str | None
    version: str | None
    kind: str | None
    statistics: dict[str, Any]
    collection: dict[str, Any] | None
    transformations: dict[str, Any] | None
    tokenization: dict[str, Any] | None
    adapter: dict[str, Any] | None
    curation: dict[str, Any] | None = None


@dataclass(frozen=True)
class TaskView:
    dag_id: str
    run_id: str
    report: TaskReport
    notes: list[str] = field(default_factory=list)
    document: dict[str, Any] | None = None
    failed: bool = False
    datasets: list[DatasetView] = field(default_factory=list)
    errors: dict[str, Any] | None = None
    training: dict[str, Any] | None = None
    chart: LossChart | None = None
    resources: dict[str, Any] | None = None
    bounds: dict[str, Any] | None = None
    provenance: list[dict[str, Any]] = field(default_factory=list)
    raw_json: str | None = None
    hidden: dict[str, int] = field(default_factory=dict)
    """Inputs and outputs beyond the first MAX_TASK_DATASETS of each, not shown."""
    code: dict[str, Any] | None = None


def dataset_view(
    role: str, dataset: dict[str, Any], kinds: Mapping[DatasetKey, str] | None = None
) -> DatasetView:
    """One dataset of the document; its kind from ``kinds`` (the run's documents, see
    ``events/kinds.py``) when it is there, else from its own facets."""
    key = dataset_key(dataset)
    found = (kinds or {}).get(key) or kind_of(f.facets(dataset), key[1])
    return DatasetView(
        role=role,
        namespace=f.text(dataset.get("namespace")),
        name=f.text(dataset.get("name")),
        version=f.version(dataset),
        kind=found,
        statistics=f.statistics(dataset),
        collection=f.facet(dataset, keys.COLLECTION),
        transformations=f.facet(dataset, keys.TRANSFORMATIONS),
        tokenization=f.facet(dataset, keys.TOKENIZATION),
        adapter=f.facet(dataset, keys.ADAPTER),
        curation=f.facet(dataset, keys.CURATION),
    )


def raw_json(document: dict[str, Any]) -> str:
    """The document as indented JSON, cut at MAX_RAW_JSON characters without writing the rest."""
    encoder = json.JSONEncoder(indent=2, sort_keys=True, ensure_ascii=False)
    parts, length = [], 0
    for chunk in encoder.iterencode(document):
        parts.append(chunk)
        length += len(chunk)
        if length > MAX_RAW_JSON:
            return "".join(parts)[:MAX_RAW_JSON] + RAW_CUT
    return "".join(parts)


def missing_notes(report: TaskReport) -> list[str]:
    """Why a task instance has no document to show, in a sentence or two."""
    if report.stored is not None:
        return [UNREADABLE]
    state = (report.state or "none").lower()
    if state in UNFINISHED:
        return [NOT_FINISHED]
    if state in ("failed", "upstream_failed"):
        return [NO_DATA, FAILED_EARLY]
    return [NO_DATA, NOT_OURS]


def task_view(
    dag_id: str, run_id: str, report: TaskReport, kinds: Mapping[DatasetKey, str] | None = None
) -> TaskView:
    document = report.document
    if document is None:
        return TaskView(dag_id, run_id, report, notes=missing_notes(report))
    training = f.run_facet(document, keys.TRAINING)
    sides = {"inputs": f.datasets(document, "inputs"), "outputs": f.datasets(document, "outputs")}
    return TaskView(
        dag_id,
        run_id,
        report,
        document=document,
        failed=document.get("eventType") == "FAIL",
        datasets=[
            dataset_view(role, dataset, kinds)
            for side, role in (("inputs", "input"), ("outputs", "output"))
            for dataset in islice(sides[side], MAX_TASK_DATASETS)
        ],
        hidden={side: max(len(found) - MAX_TASK_DATASETS, 0) for side, found in sides.items()},
        errors=f.run_facet(document, keys.EXTRACTION_ERROR),
        training=training,
        chart=loss_chart(training.get("lossCurve")) if training else None,
        resources=f.run_facet(document, keys.RESOURCES),
        bounds=f.run_facet(document, keys.BOUNDS),
        provenance=f.provenance(document),
        raw_json=raw_json(document),
        code=f.code_and_environment(document),
    )
