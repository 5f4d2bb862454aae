"""Walking the facets of a step's lineage: every value, where it sits, and its bounding hints.

A ``Slot`` is one value inside a facet: what holds it (an attrs object, a dict or a list), under
which key, its path in the event, and whether its strings are multi-line. The bounding hints are
declared on the facet classes, as openlineage-python facets declare ``_additional_skip_redact``:
``_multiline_fields`` (fields whose strings keep ``\t`` and ``\n``, and everything inside them)
and ``_sample_fields`` (lists that are examples, not facts). openlineage-python's own classes
cannot declare ours: their fields named in ``STANDARD_MULTILINE`` are multi-line.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import attr

from llm_lineage.lineage.standard_facets import StepLineage

#: The multi-line fields of OpenLineage's standard facets (documentation, column lineage and
#: schema descriptions; error messages and stack traces; execution parameters).
STANDARD_MULTILINE = frozenset({"description", "errorMessage", "stackTrace", "parameters"})


def multiline_fields(cls: type) -> frozenset[str]:
    """The fields of attrs class ``cls`` whose strings keep ``\t`` and ``\n``."""
    declared: frozenset[str] | None = getattr(cls, "_multiline_fields", None)
    if declared is not None:
        return declared
    return STANDARD_MULTILINE if cls.__module__.startswith("openlineage.") else frozenset()


def sample_fields(cls: type) -> frozenset[str]:
    """The list fields of attrs class ``cls`` that hold examples: dropped first when too big."""
    declared: frozenset[str] = getattr(cls, "_sample_fields", frozenset())
    return declared


@dataclass
class Slot:
    """One value inside a facet: what holds it (attrs object, dict or list) and under which key.

    ``multiline`` comes from the nearest attrs field above it (``multiline_fields``).
    """

    holder: Any
    key: Any
    path: str
    multiline: bool
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


def _slots(value: Any, path: str, multiline: bool) -> Iterator[Slot]:
    if attr.has(type(value)):
        lines = multiline_fields(type(value))
        for item in attr.fields(type(value)):
            if not item.name.startswith("_"):  # _producer, _schemaURL, _deleted: the facet's own
                yield Slot(value, item.name, f"{path}.{item.name}", item.name in lines, True)
    elif isinstance(value, dict):
        for key in list(value):
            yield Slot(value, key, f"{path}.{key}", multiline, False)
    else:
        for index in range(len(value)):
            yield Slot(value, index, f"{path}[{index}]", multiline, False)


def _has_slots(value: Any) -> bool:
    return isinstance(value, (dict, list)) or attr.has(type(value))


def walk(value: Any, path: str) -> Iterator[Slot]:
    """Every value under ``value``, parents first: a parent changed when yielded is then walked."""
    stack = [_slots(value, path, False)]
    while stack:
        slot = next(stack[-1], None)
        if slot is None:
            stack.pop()
            continue
        yield slot
        child = slot.value
        if _has_slots(child):
            stack.append(_slots(child, slot.path, slot.multiline))


def facet_maps(lineage: StepLineage) -> Iterator[tuple[str, dict[str, Any]]]:
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


def everything(lineage: StepLineage) -> Iterator[Slot]:
    for path, facets in facet_maps(lineage):
        yield from walk(facets, path)


def is_sample(slot: Slot) -> bool:
    """A non-empty list that its facet class declares a sample (``_sample_fields``)."""
    value = slot.value
    return (
        slot.in_attrs
        and slot.key in sample_fields(type(slot.holder))
        and isinstance(value, list)
        and bool(value)
    )
