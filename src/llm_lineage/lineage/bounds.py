r"""What an OpenLineage event may hold, whatever a document or a parameter put into it.

Titles, authors, file names and error messages come from documents and users, so any of them
can hold a NUL, an escape sequence, a bidirectional override or megabytes of text, and a
diverging run can report NaN losses. Backends store events as JSON text (PostgreSQL ``jsonb``
refuses ``\u0000`` and NaN) and transports refuse large events, so one rule, applied once to
every step's lineage (``operators.emission.operator_lineage``), keeps each event strict JSON and
small:

* Strings in facets: C0 and C1 control characters, DEL, U+2028/U+2029, bidirectional embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069) and lone surrogates become visible
  escapes (``\x00``, ``\u202e``): escaped, not removed, so a catalog still shows that a title or a
  path held one. ``\t`` and ``\n`` stay only in fields that are multi-line by nature
  (``_multiline_fields`` on the facet classes, ``lineage/facet_walk.py``), where ``\r\n`` becomes ``\n``. Every string, dict keys included, is then cut
  to MAX_STRING characters (MAX_MULTILINE_STRING in multi-line fields), ending in CUT_MARKER.
* Numbers: NaN and infinities become null, which the serializer leaves out; a list item that so
  loses a number its schema requires (a loss point) is dropped from its list.
* Dataset namespaces and names are identities the next step must repeat exactly: their control
  characters other than ``\t`` and ``\n`` are escaped, and they are never cut.
* Size: the datasets and facets, serialized as the transport does, must fit BUDGET_BYTES. Over
  it, the guard drops samples (``_sample_fields``); then halves, again and again, the list or map anywhere in the
  facets that weighs most by itself (authors, errors, loss points, environment variables, step
  parameters, ...), keeping its first items (the most frequent authors, the first errors); then
  cuts every string to each of FURTHER_CUTS; then drops whole facets, largest first; then halves
  the lists of datasets. Each step stops as soon as the lineage fits.

Whatever it changed, it says in the ``llmLineage_eventBounds`` run facet; a clean, small step's
lineage passes through as the very same object.

One job per module: ``escaping.py`` (escapes and cuts), ``facet_walk.py`` (the walk and the
hints), ``event_size.py`` (measuring), ``bounds_report.py`` (counting, the facet),
``shrink.py`` (the shrink steps); this module applies them in order and never raises.
"""

from __future__ import annotations

import copy
import logging
import math
from enum import Enum
from typing import Any

from openlineage.client.event_v2 import InputDataset, OutputDataset

from llm_lineage.facets import facet_key
from llm_lineage.lineage.bounds_report import Report, bounds_facet, depth
from llm_lineage.lineage.escaping import escape_controls
from llm_lineage.lineage.event_size import lineage_bytes
from llm_lineage.lineage.facet_walk import everything
from llm_lineage.lineage.shrink import BUDGET_BYTES, drop_from_lists, fit
from llm_lineage.lineage.standard_facets import StepLineage

log = logging.getLogger(__name__)

EVENT_BOUNDS = facet_key("eventBounds")


def _sanitize(lineage: StepLineage, report: Report) -> None:
    """Escape and cut every string, null every non-finite number, in place."""
    broken: list[Any] = []  # attrs items that lost a number their schema requires
    for slot in everything(lineage):
        value = slot.value
        if isinstance(value, Enum):
            continue
        if isinstance(value, str):
            clean = report.clean(value, slot.multiline)
            if clean is not value:
                slot.put(clean)
        elif isinstance(value, float) and not math.isfinite(value):
            report.non_finite += 1
            slot.put(None)
            if slot.required:
                broken.append(slot.holder)
        elif isinstance(value, dict):
            keys = [report.clean(key, False) if isinstance(key, str) else key for key in value]
            if keys != list(value):
                items = list(zip(keys, value.values(), strict=True))
                value.clear()
                for key, item in items:
                    value.setdefault(key, item)  # two keys cleaned alike: the first one stays
    drop_from_lists(lineage, broken, report)
    for dataset in [*lineage.inputs, *lineage.outputs]:
        for name in ("namespace", "name"):
            text = getattr(dataset, name)
            clean = escape_controls(text, keep_lines=True)
            if clean != text:
                report.cleaned += 1
                object.__setattr__(dataset, name, clean)


def _bounded(lineage: StepLineage) -> StepLineage:
    bounded = copy.deepcopy(lineage)
    report = Report()
    _sanitize(bounded, report)
    after = fit(bounded, report)
    if not report.changed:
        return lineage
    if report.truncations:
        paths = sorted(report.truncations, key=depth)
        log.warning(
            "OpenLineage lineage over %d bytes: cut %d lists or facets (%s%s); see the %s facet",
            BUDGET_BYTES,
            len(paths),
            ", ".join(paths[:5]),
            ", ..." if len(paths) > 5 else "",
            EVENT_BOUNDS,
        )
    bounded.run_facets[EVENT_BOUNDS] = bounds_facet(
        report, BUDGET_BYTES, lineage_bytes(lineage), after
    )
    return bounded


def bounded(lineage: StepLineage) -> StepLineage:
    """``lineage`` as an event may hold it (see the module's rule); never raises.

    On an unexpected error it returns the datasets by namespace and name alone, rather than the
    lineage unchanged: that could be JSON a backend refuses, or too big to send, and lose the
    whole event, while the graph's edges are what lineage most needs to keep.
    """
    try:
        return _bounded(lineage)
    except Exception:  # lineage must never fail the task it describes
        log.warning("Could not bound this step's lineage; reporting datasets only", exc_info=True)
        return _identities_only(lineage)


def _identities_only(lineage: StepLineage) -> StepLineage:
    try:
        return StepLineage(
            inputs=[
                InputDataset(namespace=_identity(d.namespace), name=_identity(d.name))
                for d in lineage.inputs
            ],
            outputs=[
                OutputDataset(namespace=_identity(d.namespace), name=_identity(d.name))
                for d in lineage.outputs
            ],
        )
    except Exception:  # whatever the lineage holds, the task goes on
        log.warning("Could not report even the datasets of this step's lineage", exc_info=True)
        return StepLineage()


def _identity(text: Any) -> str:
    return escape_controls(str(text), keep_lines=True)
