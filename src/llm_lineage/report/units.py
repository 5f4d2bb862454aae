"""Numbers for people: byte sizes, counts, seconds and money, each in one consistent form."""

from __future__ import annotations

from collections.abc import Mapping

_UNITS = ("KiB", "MiB", "GiB", "TiB", "PiB")


def size(value: int | float | None) -> str:
    """Bytes with the binary unit that reads best; ``-`` when unknown."""
    if value is None:
        return "-"
    if value < 1024:
        return f"{int(value):,} B"
    amount = float(value)
    for unit in _UNITS:
        amount /= 1024
        if amount < 1024 or unit == _UNITS[-1]:
            break
    return f"{amount:,.1f} {unit}"


def count(value: int | float | None) -> str:
    return "-" if value is None else f"{value:,}"


def seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.2f} s" if value < 100 else f"{value:,.0f} s"


def money(amounts: Mapping[str, float]) -> str:
    """``0.000017 USD + 1.20 EUR``: six significant digits, one term per currency."""
    if not amounts:
        return "-"
    return " + ".join(f"{amount:.6g} {currency}" for currency, amount in sorted(amounts.items()))


def short(version: str | None, length: int = 16) -> str:
    """A version hash cut for text output; JSON keeps it whole."""
    return "-" if not version else version[:length]
