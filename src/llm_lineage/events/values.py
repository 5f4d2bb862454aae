"""Defensive reads of parsed JSON: a value of the wrong type reads as missing, never as an error.

Any task may push any value under the lineage XCom key, and events may come from other versions
of this provider or be edited by hand, so a reader trusts no shape.
"""

from __future__ import annotations

import math
from typing import Any


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def records(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` if it is a list, else none."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def finite(value: Any) -> float | None:
    """A number as a finite float, or None: not a number, NaN, an infinity, or an integer too
    large for a float (JSON allows 10**400; a stored document may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        return None
    return as_float if math.isfinite(as_float) else None


def integer(value: Any) -> int | None:
    """An integer (not a boolean), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def shown(value: Any) -> str | None:
    """``value`` as a string, None when missing; a number or a list is shown as it is."""
    return None if value is None else str(value)


def string(value: Any) -> str | None:
    """``value`` if it is a string, else None."""
    return value if isinstance(value, str) else None
