"""Parse the date strings that documents carry (PDF ``D:`` dates, ISO 8601, RFC 2822) to UTC."""

from __future__ import annotations

import datetime as dt
import re
from email.utils import parsedate_to_datetime

from llm_lineage.common.errors import LlmLineageError

_PDF_DATE = re.compile(
    r"^D:(?P<y>\d{4})(?P<mo>\d{2})?(?P<d>\d{2})?(?P<h>\d{2})?(?P<mi>\d{2})?(?P<s>\d{2})?"
    r"(?P<tz>[Zz]|[+-]\d{2}'?(\d{2})?'?)?"
)


class DateOutOfRange(LlmLineageError, ValueError):
    """A date that UTC cannot hold."""


def to_utc(value: dt.datetime) -> dt.datetime:
    """Naive datetimes are taken as UTC: documents rarely say, and a stable answer beats a guess.

    Raises DateOutOfRange, a ValueError (not OverflowError), for a date that UTC cannot hold, such as
    ``0001-01-01T00:00:00+01:00``, so every caller's ``except ValueError`` treats it as no date.
    """
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    try:
        return value.astimezone(dt.timezone.utc)
    except OverflowError as error:
        raise DateOutOfRange(f"date out of range in UTC: {value.isoformat()}") from error


def parse_pdf_date(text: str | None) -> dt.datetime | None:
    """Parse a PDF date such as ``D:20240131120000+01'00'``."""
    if not text:
        return None
    match = _PDF_DATE.match(text.strip())
    if not match:
        return parse_date(text)
    parts = match.groupdict()
    try:
        value = dt.datetime(
            int(parts["y"]),
            int(parts["mo"] or 1),
            int(parts["d"] or 1),
            int(parts["h"] or 0),
            int(parts["mi"] or 0),
            int(parts["s"] or 0),
        )
    except ValueError:
        return None
    tz = parts["tz"]
    try:
        if tz and tz not in ("Z", "z"):
            sign = 1 if tz[0] == "+" else -1
            digits = tz[1:].replace("'", "")
            offset = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            value = value.replace(tzinfo=dt.timezone(sign * offset))
        return to_utc(value)
    except ValueError:  # an offset of 24 hours or more, or a date UTC cannot hold
        return None


def parse_date(text: str | None) -> dt.datetime | None:
    """Parse ISO 8601 (date or date-time) or RFC 2822; None when the text is no date."""
    if not text:
        return None
    text = text.strip()
    try:
        return to_utc(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        pass
    try:
        return to_utc(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def from_timestamp(seconds: float | None) -> dt.datetime | None:
    if not seconds:
        return None
    return dt.datetime.fromtimestamp(seconds, tz=dt.timezone.utc)
