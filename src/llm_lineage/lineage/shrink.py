"""Shrinking a step's lineage until it fits ``BUDGET_BYTES``, one step after the other.

Over the budget, the guard drops samples (``_sample_fields`` on the facet classes); then halves,
again and again, the list or map anywhere in the facets that weighs most by itself, keeping its
first items; then cuts every string to each of FURTHER_CUTS; then drops whole facets, largest
first; then halves the lists of datasets. Each step stops as soon as the lineage fits, and
every change is counted in the ``Report``.
"""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from llm_lineage.lineage.bounds_report import Report
from llm_lineage.lineage.escaping import cut
from llm_lineage.lineage.event_size import json_bytes, lineage_bytes
from llm_lineage.lineage.facet_walk import Slot, everything, facet_maps, is_sample
from llm_lineage.lineage.standard_facets import StepLineage

log = logging.getLogger(__name__)

#: Bytes the datasets and facets may take. An event may take 256 KB; the rest is left for the
#: envelope, the OpenLineage provider's own facets (``airflow`` takes about 2 KB, the others
#: under 2 KB together, plus whatever a DAG run's ``conf`` holds) and llmLineage_eventBounds.
BUDGET_BYTES = 192 * 1024
#: The shorter limits every string is cut to, in turn, when halving lists was not enough.
FURTHER_CUTS = (1024, 256)
#: Rounds of halving before the guard moves on to cutting strings (each round re-measures).
MAX_HALVINGS = 200


def drop_from_lists(lineage: StepLineage, items: list[Any], report: Report) -> None:
    if not items:
        return
    ids = {id(item) for item in items}
    for slot in everything(lineage):
        value = slot.value
        if isinstance(value, list) and any(id(item) in ids for item in value):
            kept = [item for item in value if id(item) not in ids]
            report.truncated(slot.path, len(kept), len(value))
            value[:] = kept


def _drop_samples(lineage: StepLineage, report: Report, size: int) -> int:
    dropped = False
    for slot in everything(lineage):
        if is_sample(slot):
            report.truncated(slot.path, 0, len(slot.value))
            slot.value.clear()
            dropped = True
    return lineage_bytes(lineage) if dropped else size


def _heaviest_collection(lineage: StepLineage) -> Slot | None:
    """The list or map of two or more items with the most bytes of its own.

    Its own bytes leave out those of the lists and maps inside it, so the bulk of one
    transformation step's parameters halves those parameters, not the list of steps.
    """
    own: dict[str, int] = {}
    slots: dict[str, Slot] = {}
    enclosing: list[str] = []  # paths of the collections the walk is inside, outermost first
    for slot in everything(lineage):
        value = slot.value
        if not isinstance(value, (list, dict)) or len(value) < 2:
            continue
        size = json_bytes(value)
        while enclosing and not slot.path.startswith((f"{enclosing[-1]}.", f"{enclosing[-1]}[")):
            enclosing.pop()
        if enclosing:
            own[enclosing[-1]] -= size
        own[slot.path], slots[slot.path] = size, slot
        enclosing.append(slot.path)
    return slots[max(own, key=own.__getitem__)] if own else None


def _halve_collections(lineage: StepLineage, report: Report, size: int) -> int:
    for _ in range(MAX_HALVINGS):
        largest = _heaviest_collection(lineage) if size > BUDGET_BYTES else None
        if largest is None:
            break
        value = largest.value
        keep = len(value) // 2
        report.truncated(largest.path, keep, len(value))
        if isinstance(value, list):
            del value[keep:]
        else:
            for key in list(value)[keep:]:
                del value[key]
        size = lineage_bytes(lineage)
    return size


def _cut_strings(lineage: StepLineage, report: Report, size: int) -> int:
    for limit in FURTHER_CUTS:
        if size <= BUDGET_BYTES:
            break
        counted = report.cut
        for slot in everything(lineage):
            value = slot.value
            if isinstance(value, str) and not isinstance(value, Enum) and len(value) > limit:
                report.cut += 1
                slot.put(cut(value, limit))
        size = lineage_bytes(lineage) if report.cut > counted else size
    return size


def _drop_facets(lineage: StepLineage, report: Report, size: int) -> int:
    ranked = sorted(
        (
            (json_bytes(facet), path, facets, key)
            for path, facets in facet_maps(lineage)
            for key, facet in facets.items()
        ),
        key=lambda entry: entry[0],
        reverse=True,
    )
    for facet_size, path, facets, key in ranked:
        if size <= BUDGET_BYTES:
            break
        del facets[key]
        report.truncated(f"{path}.{key}", 0, 1)
        size -= facet_size
        if size <= BUDGET_BYTES:  # the estimate says it fits: measure
            size = lineage_bytes(lineage)
    return size


def _halve_datasets(lineage: StepLineage, report: Report, size: int) -> int:
    while size > BUDGET_BYTES:
        sides: list[tuple[str, list[Any]]] = [
            ("inputs", lineage.inputs),
            ("outputs", lineage.outputs),
        ]
        side, datasets = max(sides, key=lambda entry: len(entry[1]))
        if len(datasets) < 2:
            break
        keep = len(datasets) // 2
        report.truncated(side, keep, len(datasets))
        del datasets[keep:]
        size = lineage_bytes(lineage)
    return size


_SHRINK_STEPS = (_drop_samples, _halve_collections, _cut_strings, _drop_facets, _halve_datasets)


def fit(lineage: StepLineage, report: Report) -> int:
    """Shrink ``lineage`` in place, one step after the other, until it fits; its size then."""
    size = lineage_bytes(lineage)
    for shrink in _SHRINK_STEPS:
        if size <= BUDGET_BYTES:
            break
        size = shrink(lineage, report, size)
    if size > BUDGET_BYTES:
        log.warning("OpenLineage lineage still takes %d bytes, over %d", size, BUDGET_BYTES)
    return size
