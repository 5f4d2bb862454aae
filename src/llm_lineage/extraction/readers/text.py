"""Plain text and Markdown: decoded with a recorded fallback; Markdown front matter is metadata.

Markdown markup is kept as it is: it is what language models are trained on, and stripping it
would lose structure (headings, lists, code) that no later step can restore.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from llm_lineage import __version__
from llm_lineage.extraction.dates import parse_date, to_utc
from llm_lineage.extraction.decoding import decode_text
from llm_lineage.extraction.model import ReaderOutput
from llm_lineage.extraction.readers.common import split_authors

_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)


def library_version() -> str:
    return __version__


def read_plain_text(data: bytes) -> ReaderOutput:
    decoded = decode_text(data)
    return ReaderOutput(
        text=decoded.text.replace("\r\n", "\n"),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )


def _date(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return to_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
    return parse_date(str(value)) if value else None


def _authors(value: Any) -> tuple[str, ...]:
    if isinstance(value, list):
        return tuple(dict.fromkeys(str(item).strip() for item in value if str(item).strip()))
    return split_authors(str(value)) if value else ()


def read_markdown(data: bytes) -> ReaderOutput:
    decoded = decode_text(data)
    body = decoded.text.replace("\r\n", "\n")
    meta: dict[str, Any] = {}
    match = _FRONT_MATTER.match(body)
    if match:
        try:
            loaded = yaml.safe_load(match.group(1))
        except yaml.YAMLError:
            loaded = None
        if isinstance(loaded, dict):
            meta = {str(key).lower(): value for key, value in loaded.items()}
            body = body[match.end() :]
    heading = _HEADING.search(body)
    title = meta.get("title") or (heading.group(1) if heading else None)
    return ReaderOutput(
        text=body.strip("\n"),
        title=str(title) if title else None,
        authors=_authors(meta.get("authors", meta.get("author"))),
        created=_date(meta.get("date", meta.get("created"))),
        modified=_date(meta.get("modified", meta.get("updated", meta.get("lastmod")))),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )
