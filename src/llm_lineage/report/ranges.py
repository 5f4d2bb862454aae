"""Values the report cannot use, read as missing and counted: numbers out of range, deep nesting.

JSON allows integers of any length (``10**400``), and ``json`` reads ``1e999`` as infinity and
``NaN`` as a float; no float holds the first, and ``int()`` of the others fails. No size,
count, duration or cost this report reads comes near MAX_MAGNITUDE, and sums of values under
it stay finite, so a number beyond it (or not finite) is read as missing. A container nested
more than MAX_DEPTH levels inside a facet is read as missing too, so that nothing the report
does with a value (compare, copy, write as JSON) can recurse too deep. A line nested deeper
than the JSON parsers go (about 1,000 levels) is skipped whole by ``files.py``.

Values are cleaned where they are parsed: a facet when a reader first parses it
(``facets.parsed``), a record read the slow way when it is accepted (``runs.py``). Each is
cleaned once, in place, and its counts go to the tally ``counting`` names, so a facet read
twice is counted once.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from llm_lineage.report.tally import Tally

MAX_MAGNITUDE = 2**63
MAX_DEPTH = 64

_COUNTING: ContextVar[Tally | None] = ContextVar("llm_lineage_report_tally", default=None)


@contextmanager
def counting(tally: Tally) -> Iterator[None]:
    """Count what ``clean`` reads as missing into ``tally`` while the body runs."""
    token = _COUNTING.set(tally)
    try:
        yield
    finally:
        _COUNTING.reset(token)


def out_of_range(value: Any) -> bool:
    """A number no answer can use: beyond MAX_MAGNITUDE, or not finite."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -MAX_MAGNITUDE <= value <= MAX_MAGNITUDE
    if isinstance(value, float):
        return not (math.isfinite(value) and abs(value) <= MAX_MAGNITUDE)
    return False


def clean(value: Any, tally: Tally | None = None) -> Any:
    """``value`` with each unusable number and each container nested over MAX_DEPTH replaced
    by None, in place (a scalar is returned as None); counted into ``tally``, else into the
    one ``counting`` set, if any."""
    numbers, deep = 0, 0
    if out_of_range(value):
        value, numbers = None, 1
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        container, depth = stack.pop()
        pairs = list(container.items() if isinstance(container, dict) else enumerate(container))
        for key, item in pairs:
            if isinstance(item, (dict, list)):
                if depth < MAX_DEPTH:
                    stack.append((item, depth + 1))
                else:
                    container[key], deep = None, deep + 1
            elif out_of_range(item):
                container[key], numbers = None, numbers + 1
    if numbers or deep:
        target = tally if tally is not None else _COUNTING.get()
        if target is not None:
            target.out_of_range_numbers += numbers
            target.too_deep += deep
    return value
