r"""What an OpenLineage event may hold, whatever a document or a parameter put into it.

Titles, authors, file names and error messages come from documents and users, so any of them
can hold a NUL, an escape sequence, a bidirectional override or megabytes of text, and a
diverging run can report NaN losses. Backends store events as JSON text (PostgreSQL ``jsonb``
refuses ``\u0000`` and NaN) and transports refuse large events, so one rule, applied once to
every step's lineage (``operators.lineage.operator_lineage``), keeps each event strict JSON and
small:

* Strings in facets: C0 and C1 control characters, DEL, U+2028/U+2029, bidirectional embeddings,
  overrides and isolates (U+202A-U+202E, U+2066-U+2069) and lone surrogates become visible
  escapes (``\x00``, ``\u202e``): escaped, not removed, so a catalog still shows that a title or a
  path held one. ``\t`` and ``\n`` stay only in fields that are multi-line by nature
  (MULTILINE_FIELDS), where ``\r\n`` becomes ``\n``. Every string, dict keys included, is then cut
  to MAX_STRING characters (MAX_MULTILINE_STRING in multi-line fields), ending in CUT_MARKER.
* Numbers: NaN and infinities become null, which the serializer leaves out; a list item that so
  loses a number its schema requires (a loss point) is dropped from its list.
* Dataset namespaces and names are identities the next step must repeat exactly: their control
  characters other than ``\t`` and ``\n`` are escaped, and they are never cut.
* Size: the datasets and facets, serialized as the transport does, must fit BUDGET_BYTES. Over
  it, the guard drops samples; then halves, again and again, the list or map anywhere in the
  facets that weighs most by itself (authors, errors, loss points, environment variables, step
  parameters, ...), keeping its first items (the most frequent authors, the first errors); then
  cuts every string to each of FURTHER_CUTS; then drops whole facets, largest first; then halves
  the lists of datasets. Each step stops as soon as the lineage fits.

Whatever it changed, it says in the ``llmLineage_eventBounds`` run facet; a clean, small step's
lineage passes through as the very same object.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
import math
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, OutputDataset

from llm_lineage.facets import LlmLineageEventBoundsRunFacet, Truncation, facet_key
from llm_lineage.lineage.standard_facets import StepLineage

log = logging.getLogger(__name__)

#: Characters of an ordinary string (a title, an author, a URI: Linux paths stop at 4096 bytes).
MAX_STRING = 4096
#: Characters of a string in a multi-line field (descriptions, error messages, stack traces).
MAX_MULTILINE_STRING = 16384
#: Fields whose strings keep ``\t`` and ``\n``; step parameters hold separators such as "\n\n".
MULTILINE_FIELDS = frozenset({"description", "errorMessage", "stackTrace", "parameters"})
#: Ends a cut string, within its limit, so a reader knows there was more.
CUT_MARKER = "[...]"
#: Bytes the datasets and facets may take. An event may take 256 KB; the rest is left for the
#: envelope, the OpenLineage provider's own facets (``airflow`` takes about 2 KB, the others
#: under 2 KB together, plus whatever a DAG run's ``conf`` holds) and llmLineage_eventBounds.
BUDGET_BYTES = 192 * 1024
#: Lists that are examples, not facts: the first thing dropped when over budget.
SAMPLE_FIELDS = frozenset({"sample"})
#: The shorter limits every string is cut to, in turn, when halving lists was not enough.
FURTHER_CUTS = (1024, 256)
#: Rounds of halving before the guard moves on to cutting strings (each round re-measures).
MAX_HALVINGS = 200
#: Truncations listed in llmLineage_eventBounds (all are counted), and the length of each path.
MAX_REPORTED = 32
MAX_PATH = 256

EVENT_BOUNDS = facet_key("eventBounds")

_UNSAFE_OUTSIDE_LINES = (
    r"\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
)
_UNSAFE_KEEPING_LINES = re.compile(f"[{_UNSAFE_OUTSIDE_LINES}]")
_UNSAFE = re.compile(rf"[\t\n{_UNSAFE_OUTSIDE_LINES}]")


def escape_controls(text: str, keep_lines: bool = False) -> str:
    r"""``text`` with every unsafe character as a visible ``\xNN`` or ``\uNNNN`` escape.

    ``keep_lines`` keeps ``\t`` and ``\n``.
    """
    return (_UNSAFE_KEEPING_LINES if keep_lines else _UNSAFE).sub(_visible, text)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` characters, ending in CUT_MARKER when it was longer."""
    if len(text) <= limit:
        return text
    kept = text[: limit - len(CUT_MARKER)]
    backslash = kept.rfind("\\", len(kept) - 5)  # never end in half an escape such as \u20
    return (kept[:backslash] if backslash != -1 else kept) + CUT_MARKER


@dataclass
class _Report:
    """What the guard changed, for llmLineage_eventBounds."""

    cleaned: int = 0
    cut: int = 0
    non_finite: int = 0
    #: path -> [kept, original]: the original count is the one first seen.
    truncations: dict[str, list[int]] = field(default_factory=dict)

    def truncated(self, path: str, kept: int, original: int) -> None:
        self.truncations.setdefault(path, [kept, original])[0] = kept

    @property
    def changed(self) -> bool:
        return bool(self.cleaned or self.cut or self.non_finite or self.truncations)

    def clean(self, text: str, multiline: bool) -> str:
        """``text`` escaped and cut by the rule, counted when changed."""
        clean = escape_controls(text.replace("\r\n", "\n") if multiline else text, multiline)
        if clean != text:
            self.cleaned += 1
        limit = MAX_MULTILINE_STRING if multiline else MAX_STRING
        if len(clean) > limit:
            self.cut += 1
            clean = _cut(clean, limit)
        return clean if clean != text else text


@dataclass
class _Slot:
    """One value inside a facet: what holds it (attrs object, dict or list) and under which key.

    ``field`` is the nearest attrs field above it, which decides whether it is multi-line.
    """

    holder: Any
    key: Any
    path: str
    field: str
    in_attrs: bool

    @property
    def value(self) -> Any:
        return getattr(self.holder, self.key) if self.in_attrs else self.holder[self.key]

    def put(self, value: Any) -> None:
        if self.in_attrs:
            # The holder is the guard's own deep copy, and a replacement is a cleaned string, a
            # shorter list or None: attrs' validators and frozen classes have nothing to protect.
            object.__setattr__(self.holder, self.key, value)
        else:
            self.holder[self.key] = value

    @property
    def required(self) -> bool:
        """An attrs field without a default: its facet's schema requires it."""
        fields = attr.fields_dict(type(self.holder)) if self.in_attrs else {}
        return self.key in fields and fields[self.key].default is attr.NOTHING


def _slots(value: Any, path: str, field: str) -> Iterator[_Slot]:
    if attr.has(type(value)):
        for item in attr.fields(type(value)):
            if not item.name.startswith("_"):  # _producer, _schemaURL, _deleted: the facet's own
                yield _Slot(value, item.name, f"{path}.{item.name}", item.name, True)
    elif isinstance(value, dict):
        for key in list(value):
            yield _Slot(value, key, f"{path}.{key}", field, False)
    else:
        for index in range(len(value)):
            yield _Slot(value, index, f"{path}[{index}]", field, False)


def _has_slots(value: Any) -> bool:
    return isinstance(value, (dict, list)) or attr.has(type(value))


def _walk(value: Any, path: str) -> Iterator[_Slot]:
    """Every value under ``value``, parents first: a parent changed when yielded is then walked."""
    stack = [_slots(value, path, "")]
    while stack:
        slot = next(stack[-1], None)
        if slot is None:
            stack.pop()
            continue
        yield slot
        child = slot.value
        if _has_slots(child):
            stack.append(_slots(child, slot.path, slot.field))


def _facet_maps(lineage: StepLineage) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every facet map of the lineage, with its path in the event."""
    yield "run.facets", lineage.run_facets
    yield "job.facets", lineage.job_facets
    sides = (
        ("inputs", lineage.inputs, "inputFacets"),
        ("outputs", lineage.outputs, "outputFacets"),
    )
    for side, datasets, extra in sides:
        for index, dataset in enumerate(datasets):
            for group in ("facets", extra):
                facets = getattr(dataset, group, None)
                if facets:
                    yield f"{side}[{index}].{group}", facets


def _everything(lineage: StepLineage) -> Iterator[_Slot]:
    for path, facets in _facet_maps(lineage):
        yield from _walk(facets, path)


def json_bytes(value: Any) -> int:
    """Bytes ``value`` takes in an event, as openlineage-python's Serde writes it.

    Like Serde: sorted keys, ASCII escapes, attrs fields that are None left out, enums as their
    values. Unlike it, a None inside a free-form map or list counts as ``null``: a few bytes
    more, for a measurement several times faster.
    """
    return len(json.dumps(_plain(value), sort_keys=True, default=_json_default).encode())


def _plain(value: Any) -> Any:
    if attr.has(type(value)):
        return attr.asdict(value, filter=_present)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _present(attribute: Any, value: Any) -> bool:
    return value is not None


def _json_default(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (dt.date, uuid.UUID)):
        return str(value)
    return f"<<non-serializable: {type(value).__qualname__}>>"


def lineage_bytes(lineage: StepLineage) -> int:
    """Bytes the lineage's datasets and facets take in an event."""
    return json_bytes(
        {
            "inputs": lineage.inputs,
            "outputs": lineage.outputs,
            "run": lineage.run_facets,
            "job": lineage.job_facets,
        }
    )


def _sanitize(lineage: StepLineage, report: _Report) -> None:
    """Escape and cut every string, null every non-finite number, in place."""
    broken: list[Any] = []  # attrs items that lost a number their schema requires
    for slot in _everything(lineage):
        value = slot.value
        if isinstance(value, Enum):
            continue
        if isinstance(value, str):
            clean = report.clean(value, slot.field in MULTILINE_FIELDS)
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
    _drop_from_lists(lineage, broken, report)
    for dataset in [*lineage.inputs, *lineage.outputs]:
        for name in ("namespace", "name"):
            text = getattr(dataset, name)
            clean = escape_controls(text, keep_lines=True)
            if clean != text:
                report.cleaned += 1
                object.__setattr__(dataset, name, clean)


def _drop_from_lists(lineage: StepLineage, items: list[Any], report: _Report) -> None:
    if not items:
        return
    ids = {id(item) for item in items}
    for slot in _everything(lineage):
        value = slot.value
        if isinstance(value, list) and any(id(item) in ids for item in value):
            kept = [item for item in value if id(item) not in ids]
            report.truncated(slot.path, len(kept), len(value))
            value[:] = kept


def _drop_samples(lineage: StepLineage, report: _Report, size: int) -> int:
    dropped = False
    for slot in _everything(lineage):
        value = slot.value
        if slot.key in SAMPLE_FIELDS and isinstance(value, list) and value:
            report.truncated(slot.path, 0, len(value))
            value.clear()
            dropped = True
    return lineage_bytes(lineage) if dropped else size


def _heaviest_collection(lineage: StepLineage) -> _Slot | None:
    """The list or map of two or more items with the most bytes of its own.

    Its own bytes leave out those of the lists and maps inside it, so the bulk of one
    transformation step's parameters halves those parameters, not the list of steps.
    """
    own: dict[str, int] = {}
    slots: dict[str, _Slot] = {}
    enclosing: list[str] = []  # paths of the collections the walk is inside, outermost first
    for slot in _everything(lineage):
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


def _halve_collections(lineage: StepLineage, report: _Report, size: int) -> int:
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


def _cut_strings(lineage: StepLineage, report: _Report, size: int) -> int:
    for limit in FURTHER_CUTS:
        if size <= BUDGET_BYTES:
            break
        cut = report.cut
        for slot in _everything(lineage):
            value = slot.value
            if isinstance(value, str) and not isinstance(value, Enum) and len(value) > limit:
                report.cut += 1
                slot.put(_cut(value, limit))
        size = lineage_bytes(lineage) if report.cut > cut else size
    return size


def _drop_facets(lineage: StepLineage, report: _Report, size: int) -> int:
    ranked = sorted(
        (
            (json_bytes(facet), path, facets, key)
            for path, facets in _facet_maps(lineage)
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


def _halve_datasets(lineage: StepLineage, report: _Report, size: int) -> int:
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


def _fit(lineage: StepLineage, report: _Report) -> int:
    """Shrink ``lineage`` in place, one step after the other, until it fits; its size then."""
    size = lineage_bytes(lineage)
    for shrink in _SHRINK_STEPS:
        if size <= BUDGET_BYTES:
            break
        size = shrink(lineage, report, size)
    if size > BUDGET_BYTES:
        log.warning("OpenLineage lineage still takes %d bytes, over %d", size, BUDGET_BYTES)
    return size


def _bounds_facet(report: _Report, before: int, after: int) -> LlmLineageEventBoundsRunFacet:
    """The facet; its truncations list the coarsest first (datasets, then facets, then lists)."""
    entries = sorted(report.truncations.items(), key=lambda entry: _depth(entry[0]))
    return LlmLineageEventBoundsRunFacet(
        budgetBytes=BUDGET_BYTES,
        bytesBefore=before,
        bytesAfter=after,
        truncations=[
            Truncation(path=_cut(escape_controls(path), MAX_PATH), kept=kept, original=original)
            for path, (kept, original) in entries[:MAX_REPORTED]
        ],
        truncationCount=len(entries),
        stringsCleaned=report.cleaned,
        stringsCut=report.cut,
        nonFiniteNumbers=report.non_finite,
    )


def _depth(path: str) -> int:
    return path.count(".") + path.count("[")


def _bounded(lineage: StepLineage) -> StepLineage:
    bounded = copy.deepcopy(lineage)
    report = _Report()
    _sanitize(bounded, report)
    after = _fit(bounded, report)
    if not report.changed:
        return lineage
    if report.truncations:
        paths = sorted(report.truncations, key=_depth)
        log.warning(
            "OpenLineage lineage over %d bytes: cut %d lists or facets (%s%s); see the %s facet",
            BUDGET_BYTES,
            len(paths),
            ", ".join(paths[:5]),
            ", ..." if len(paths) > 5 else "",
            EVENT_BOUNDS,
        )
    bounded.run_facets[EVENT_BOUNDS] = _bounds_facet(report, lineage_bytes(lineage), after)
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
