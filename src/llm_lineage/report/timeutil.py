"""Event times as aware UTC datetimes, and back to the one text form every report prints."""

from __future__ import annotations

import datetime as dt

UTC = dt.timezone.utc


def parse_time(value: object) -> dt.datetime | None:
    """An ISO 8601 time (``Z`` or an offset; naive means UTC), or None when it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:  # the usual form, as this provider writes it: no need to clean it up first
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return _parse_loose(value)
    if parsed.tzinfo is UTC:
        return parsed
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is after the last UTC time there is
        return None


def out_of_range(value: object) -> bool:
    """Whether ``value`` is an ISO 8601 time that has no UTC time (``parse_time`` gave None)."""
    if not isinstance(value, str):
        return False
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        dt.datetime.fromisoformat(text).astimezone(UTC)
    except OverflowError:
        return True
    except ValueError:
        return False
    return False


def _parse_loose(value: str) -> dt.datetime | None:
    """Surrounding blanks, and ``Z`` where ``fromisoformat`` (before 3.11) does not take it."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(text)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def iso(value: dt.datetime | None) -> str | None:
    """The JSON form: ISO 8601 in UTC, microseconds kept."""
    return None if value is None else value.astimezone(UTC).isoformat()


def shown(value: dt.datetime | None) -> str:
    """The text form: to the second, in UTC."""
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
