"""Numbers for people, one set for every reader: counts, byte sizes, seconds, money, versions.

Two registers share the rules. The report's compact forms (``count``, ``size``, ``seconds``,
``short``: ``-`` when unknown) fit table columns; the Lineage tab's exact forms (``number``,
``size_exact``, ``duration``, ``cut``) show any stored value, whatever its type, as text.
Money is one form everywhere: six significant digits as a plain decimal (``0.000019 USD``,
never ``1.9e-05``), the same in the Lineage tab, the HTML report and the command line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from llm_lineage.events.values import finite

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def decimal(value: float, digits: int = 6) -> str:
    """``value`` to ``digits`` significant digits, written without an exponent."""
    written = f"{value:.{digits}g}"
    if "e" not in written or not math.isfinite(value):
        return written
    return format(Decimal(written), "f")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _scaled(value: float) -> tuple[float, str]:
    """Bytes in the largest binary unit under 1024 of it (bytes below 1 KiB)."""
    amount, unit = float(value), "bytes"
    for next_unit in _UNITS:
        if abs(amount) < 1024:
            break
        amount, unit = amount / 1024, next_unit
    return amount, unit


# The report's compact forms.


def size(value: int | float | None) -> str:
    """Bytes with the binary unit that reads best; ``-`` when unknown."""
    if value is None:
        return "-"
    if value < 1024:
        return f"{int(value):,} B"
    amount, unit = _scaled(value)
    return f"{amount:,.1f} {unit}"


def count(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"


def money(amounts: Mapping[str, float]) -> str:
    """``0.000017 USD + 1.2 EUR``: one term per currency (``amount``'s form); ``-`` for none."""
    if not amounts:
        return "-"
    return " + ".join(amount(value, currency) for currency, value in sorted(amounts.items()))


def amount(value: Any, currency: Any = None) -> str:
    """One sum of money: six significant digits as a plain decimal, then the currency."""
    number_text = decimal(value) if finite(value) is not None else number(value)
    return f"{number_text} {currency}" if currency else number_text


def short(version: str | None, length: int = 16) -> str:
    """A version hash cut for text output; JSON keeps it whole."""
    return "-" if not version else version[:length]


# The Lineage tab's exact forms: any stored value, shown as text.


def number(value: Any) -> str:
    """12,345 for counts, six significant digits for measures; anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:,.1f}" if abs(value) >= 1e5 else f"{value:.6g}"
    return "" if value is None else str(value)


def size_exact(value: Any) -> str:
    """Bytes, with the binary unit that reads best beside them."""
    if finite(value) is None:
        return f"{number(value)} bytes" if _is_number(value) else number(value)
    scaled, unit = _scaled(value)
    if unit == "bytes":
        return f"{number(value)} bytes"
    return f"{number(value)} bytes ({scaled:.1f} {unit})"


def duration(value: Any) -> str:
    if finite(value) is None:
        return number(value)
    if value < 60:
        return f"{value:.3g} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def cut(value: Any, length: int = 16) -> str:
    """A long value (a version, a digest) cut for a table cell, ``…`` marking the cut; pages
    show the whole value on hover (``title``)."""
    shown = "" if value is None else str(value)
    return shown if len(shown) <= length else shown[:length] + "…"


def listed(value: Any) -> str:
    """A list's items, comma separated; a single value as it is; nothing for None."""
    if isinstance(value, list):
        return ", ".join(number(item) for item in value)
    return number(value)


def as_json(value: Any) -> str:
    """A parameter's value as JSON text, as the event holds it (escaped like any other text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
