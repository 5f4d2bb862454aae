"""Events to runs: check each event's shape, keep this provider's, fold each run's events.

A run's events (START, then COMPLETE, FAIL or ABORT) are folded in time order: run facets and
dataset facets merge with the later event winning, inputs are what any event named, and outputs
are only what a COMPLETE event named, because START names outputs that may never be written.
Events are kept when Airflow's OpenLineage provider produced them (it emits this provider's
lineage) or they carry an ``llmLineage_`` facet; others are counted as other producers.

Events come as ``Event`` structs (decoded from JSON lines, types already checked) or as plain
dicts (a line the fast decoder refused, a JSON document, Marquez); a dict is checked field by
field and built into an ``Event``, so both are counted and folded the same way.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from operator import itemgetter
from typing import Any

from llm_lineage.events import keys
from llm_lineage.lineage.naming import DatasetId
from llm_lineage.report.events import Dataset, Event, JobRef, RunRef
from llm_lineage.report.facets import PREFIX, at, screen, screened, text, version_of
from llm_lineage.report.model import TERMINAL, Run, Seen
from llm_lineage.report.ranges import clean
from llm_lineage.report.tally import Tally
from llm_lineage.report.timeutil import out_of_range as out_of_range_time
from llm_lineage.report.timeutil import parse_time

#: Substrings of ``producer`` that mark Airflow's OpenLineage integration.
AIRFLOW_PRODUCERS = ("apache/airflow",)

Key = tuple[str, str]
#: A dataset as one run saw it so far, merged event by event: [version, facets, io facets], and
#: the last event's facets and io facets as given, and how many of those were dropped.
_Merged = list[Any]
_Checked = tuple[dt.datetime, Event]
_first = itemgetter(0)  # an event's time, to sort a run's events (stable: file order on ties)


def fold_runs(events: Iterable[Event | dict[str, Any]], tally: Tally) -> list[Run]:
    """Every kept run, ordered by the time of its last event."""
    folds: dict[str, list[_Checked]] = {}
    for item in events:
        try:
            checked = _checked(item, tally) if isinstance(item, Event) else _record(item, tally)
        except RecursionError:  # a record the parsers read, too deep for a check: skipped
            tally.too_deep += 1
            continue
        if checked is None:
            continue
        run_id = checked[1].run.runId
        fold = folds.get(run_id)
        if fold is None:
            folds[run_id] = [checked]
        else:
            fold.append(checked)
    ids: dict[Key, DatasetId] = {}
    runs = []
    for run_id, fold in folds.items():
        try:
            runs.append(_run(run_id, fold, tally, ids))
        except RecursionError:  # facets too deep to compare: the run is skipped, counted
            tally.too_deep += 1
    runs.sort(key=lambda run: (run.ended, run.run_id))
    return runs


def _checked(event: Event, tally: Tally) -> _Checked | None:
    """The event's time and the event when it is a well-formed run event of ours, else None
    (counted). The decoder checked the types; what is left is the values."""
    when = parse_time(event.eventTime)
    if when is None or not (event.run.runId and event.job.namespace and event.job.name):
        _skip(event.eventTime, tally)
        return None
    if _airflow(event.producer):
        return when, event
    facets = [event.run.facets, *(dataset.facets for dataset in event.inputs + event.outputs)]
    if not any(item and any(key.startswith(PREFIX) for key in item) for item in facets):
        tally.other_producers += 1
        return None
    return when, event


def _skip(event_time: Any, tally: Tally) -> None:
    """Count an event refused for its time or its ids: a time out of range, else malformed."""
    if out_of_range_time(event_time):
        tally.out_of_range_times += 1
    else:
        tally.malformed += 1


@functools.lru_cache(maxsize=256)
def _airflow(producer: str | None) -> bool:
    """Whether Airflow's integration produced the event; a file holds few producers."""
    return producer is not None and any(mark in producer for mark in AIRFLOW_PRODUCERS)


def _record(record: dict[str, Any], tally: Tally) -> _Checked | None:
    """A plain dict checked as ``_checked`` checks an ``Event``, with the same counts, and
    built into one. Datasets without a string namespace and name are left out, and counted
    only once the event is accepted; every dataset's facets still tell whether it is ours."""
    run, job = record.get("run"), record.get("job")
    if not isinstance(run, dict) or not isinstance(job, dict):
        tally.not_run_events += 1
        return None
    run_id, namespace, name = run.get("runId"), job.get("namespace"), job.get("name")
    when = parse_time(record.get("eventTime"))
    if (
        when is None
        or not (isinstance(run_id, str) and isinstance(namespace, str) and isinstance(name, str))
        or not (run_id and namespace and name)
    ):
        _skip(record.get("eventTime"), tally)
        return None
    if not _ours(record):
        tally.other_producers += 1
        return None
    clean(record, tally)
    kind, producer = record.get("eventType"), record.get("producer")
    return when, Event(
        eventTime=record["eventTime"],
        run=RunRef(run_id, _facets(run.get("facets"))),
        job=JobRef(namespace, name),
        eventType=kind if isinstance(kind, str) else "OTHER",
        producer=producer if isinstance(producer, str) else None,
        inputs=_datasets(record.get("inputs"), tally),
        outputs=_datasets(record.get("outputs"), tally),
    )


def _ours(record: dict[str, Any]) -> bool:
    producer = record.get("producer")
    if isinstance(producer, str) and any(mark in producer for mark in AIRFLOW_PRODUCERS):
        return True
    facets = [at(record, "run", "facets")]
    for side in ("inputs", "outputs"):
        datasets = record.get(side)
        facets += [at(item, "facets") for item in datasets] if isinstance(datasets, list) else []
    return any(
        isinstance(item, dict) and any(str(key).startswith(PREFIX) for key in item)
        for item in facets
    )


def _facets(value: Any) -> dict[str, Any] | None:
    return value if isinstance(value, dict) else None


def _datasets(value: Any, tally: Tally) -> list[Dataset]:
    """The datasets of a list that have a string namespace and name (others counted; an empty
    name is counted by ``_merge``, as it is for an ``Event``)."""
    kept = []
    for item in value if isinstance(value, list) else []:
        namespace = item.get("namespace") if isinstance(item, dict) else None
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(namespace, str) or not isinstance(name, str):
            tally.malformed += 1
            continue
        facets = (_facets(item.get(key)) for key in ("facets", "inputFacets", "outputFacets"))
        kept.append(Dataset(namespace, name, *facets))
    return kept


def _run(run_id: str, fold: list[_Checked], tally: Tally, ids: dict[Key, DatasetId]) -> Run:
    fold.sort(key=_first)
    job = fold[0][1].job
    run = Run(
        run_id=run_id,
        job_namespace=job.namespace,
        job_name=job.name,
        dag_id=None,
        state="START",
        started=None,
        ended=fold[-1][0],
    )
    inputs: dict[Key, _Merged] = {}
    outputs: dict[Key, _Merged] = {}
    written: set[Key] = set()
    for when, event in fold:
        kind = event.eventType
        if kind == "START" and run.started is None:
            run.started = when
        if kind in TERMINAL or run.state not in TERMINAL:
            run.state = kind
        if event.run.facets:
            run.facets.update(screen(event.run.facets, tally))
        _merge(inputs, event.inputs, True, tally)
        names = _merge(outputs, event.outputs, False, tally)
        if kind == "COMPLETE":
            written.update(names)
    for key in inputs.keys() | outputs.keys():  # one DatasetId object per dataset, for all runs
        if key not in ids:
            ids[key] = DatasetId(*key)
    run.inputs = [Seen(ids[key], *merged[:3]) for key, merged in inputs.items()]
    run.outputs = [Seen(ids[key], *merged[:3]) for key, merged in outputs.items() if key in written]
    run.dag_id = _dag_id(run)
    return run


def _merge(
    into: dict[Key, _Merged], datasets: list[Dataset], inputs: bool, tally: Tally
) -> list[Key]:
    """Fold one event's inputs or outputs into ``into``; return the keys it named. The later
    event's facets win, and its version unless it names none. A dataset given exactly as the
    run's last event gave it (a COMPLETE repeating its START) changes nothing but the counts."""
    named = []
    for dataset in datasets:
        if not dataset.name:
            tally.malformed += 1
            continue
        key = (dataset.namespace, dataset.name)
        named.append(key)
        given = dataset.facets or {}
        given_io = (dataset.inputFacets if inputs else dataset.outputFacets) or {}
        before = into.get(key)
        if before is not None and given == before[3] and given_io == before[4]:
            tally.unknown_facets += before[5]
            continue
        facets, dropped = screened(given)
        io, dropped_io = screened(given_io)
        tally.unknown_facets += dropped + dropped_io
        if before is None:
            into[key] = [version_of(facets), facets, io, given, given_io, dropped + dropped_io]
            continue
        version = facets.get(keys.VERSION.key)
        if version is not None and version != before[1].get(keys.VERSION.key):
            before[0] = version_of(facets) or before[0]  # else the version stands
        before[1:] = [
            {**before[1], **facets} if facets else before[1],
            {**before[2], **io} if io else before[2],
            given,
            given_io,
            dropped + dropped_io,
        ]
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
