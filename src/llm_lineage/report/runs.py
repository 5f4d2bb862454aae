"""Events to runs: check each event's shape, keep this provider's, fold each run's events.

A run's events (START, then COMPLETE, FAIL or ABORT) are folded in time order: run facets and
dataset facets merge with the later event winning, inputs are what any event named, and outputs
are only what a COMPLETE event named, because START names outputs that may never be written.
Events are kept when Airflow's OpenLineage provider produced them (it emits this provider's
lineage) or they carry an ``llmLineage_`` facet; others are counted as other producers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from llm_lineage.lineage.naming import DatasetId
from llm_lineage.report.facets import PREFIX, at, screen, text, version_of
from llm_lineage.report.model import TERMINAL, Run, Seen
from llm_lineage.report.tally import Tally
from llm_lineage.report.timeutil import parse_time

#: Substrings of ``producer`` that mark Airflow's OpenLineage integration.
AIRFLOW_PRODUCERS = ("apache/airflow",)


@dataclass
class _Fold:
    """One run's events so far."""

    first: dict[str, Any]
    events: list[tuple[dt.datetime, dict[str, Any]]] = field(default_factory=list)


def fold_runs(events: Iterable[dict[str, Any]], tally: Tally) -> list[Run]:
    """Every kept run, ordered by the time of its last event."""
    folds: dict[str, _Fold] = {}
    for event in events:
        when = _accepted(event, tally)
        if when is None:
            continue
        run_id = event["run"]["runId"]
        fold = folds.get(run_id)
        if fold is None:
            fold = folds[run_id] = _Fold(event)
        fold.events.append((when, event))
    runs = [_run(run_id, fold, tally) for run_id, fold in folds.items()]
    runs.sort(key=lambda run: (run.ended, run.run_id))
    return runs


def _accepted(event: dict[str, Any], tally: Tally) -> dt.datetime | None:
    """The event's time when it is a well-formed run event of ours, else None (counted)."""
    run, job = event.get("run"), event.get("job")
    if not isinstance(run, dict) or not isinstance(job, dict):
        tally.not_run_events += 1
        return None
    when = parse_time(event.get("eventTime"))
    if when is None or not all(
        isinstance(value, str) and value
        for value in (run.get("runId"), job.get("namespace"), job.get("name"))
    ):
        tally.malformed += 1
        return None
    if not _ours(event):
        tally.other_producers += 1
        return None
    return when


def _ours(event: dict[str, Any]) -> bool:
    producer = event.get("producer")
    if isinstance(producer, str) and any(mark in producer for mark in AIRFLOW_PRODUCERS):
        return True
    return any(
        isinstance(facets, dict) and any(str(key).startswith(PREFIX) for key in facets)
        for facets in _all_facets(event)
    )


def _all_facets(event: dict[str, Any]) -> Iterable[Any]:
    yield at(event, "run", "facets")
    for side in ("inputs", "outputs"):
        datasets = event.get(side)
        for dataset in datasets if isinstance(datasets, list) else []:
            yield at(dataset, "facets")


def _run(run_id: str, fold: _Fold, tally: Tally) -> Run:
    fold.events.sort(key=lambda pair: pair[0])
    job = fold.first["job"]
    run = Run(
        run_id=run_id,
        job_namespace=job["namespace"],
        job_name=job["name"],
        dag_id=None,
        state="START",
        started=None,
        ended=fold.events[-1][0],
    )
    inputs: dict[DatasetId, Seen] = {}
    outputs: dict[DatasetId, Seen] = {}
    written: set[DatasetId] = set()
    for when, event in fold.events:
        kind = str(event["eventType"]) if isinstance(event.get("eventType"), str) else "OTHER"
        if kind == "START" and run.started is None:
            run.started = when
        if kind in TERMINAL or run.state not in TERMINAL:
            run.state = kind
        run.facets.update(screen(at(event, "run", "facets"), tally))
        _merge(inputs, event.get("inputs"), "inputFacets", tally)
        names = _merge(outputs, event.get("outputs"), "outputFacets", tally)
        if kind == "COMPLETE":
            written.update(names)
    run.inputs = list(inputs.values())
    run.outputs = [seen for key, seen in outputs.items() if key in written]
    run.dag_id = _dag_id(run)
    return run


def _merge(
    into: dict[DatasetId, Seen], datasets: Any, io_key: str, tally: Tally
) -> list[DatasetId]:
    """Fold one event's inputs or outputs into ``into``; return the ids it named."""
    named = []
    for dataset in datasets if isinstance(datasets, list) else []:
        namespace = dataset.get("namespace") if isinstance(dataset, dict) else None
        name = dataset.get("name") if isinstance(dataset, dict) else None
        if not isinstance(namespace, str) or not isinstance(name, str) or not name:
            tally.malformed += 1
            continue
        key = DatasetId(namespace, name)
        facets = screen(dataset.get("facets"), tally)
        io = screen(dataset.get(io_key), tally) if io_key in dataset else {}
        before = into.get(key)
        if before is not None:
            facets = {**before.facets, **facets}
            io = {**before.io, **io}
        version = version_of(facets) or (before.version if before else None)
        into[key] = Seen(key, version, facets, io)
        named.append(key)
    return named


def _dag_id(run: Run) -> str | None:
    """The DAG: the parent job's name (Airflow's parent facet), else Airflow's dag facet."""
    parent = text(run.facets, "parent", "job", "name")
    if parent:
        return parent
    dag = text(run.facets, "airflow", "dag", "dag_id") or text(
        run.facets, "airflowDagRun", "dag", "dag_id"
    )
    if dag:
        return dag
    return run.job_name.split(".", 1)[0] if "." in run.job_name else None
