"""Plain text and Markdown: decoded with a recorded fallback; Markdown front matter is metadata.

Markdown markup is kept as it is: it is what language models are trained on, and stripping it
would lose structure (headings, lists, code) that no later step can restore.

Front matter is YAML, and YAML is a small programming language: anchors and aliases let 339
bytes describe a 355-million-character value ("billion laughs"). It is parsed only when it is
at most MAX_FRONT_MATTER_CHARACTERS long, with MAX_FRONT_MATTER_ALIASES aliases and
MAX_FRONT_MATTER_DEPTH levels of nesting at most, and metadata is taken only from scalars.
Front matter that breaks a rule is not metadata: it stays in the text, as malformed YAML does.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import yaml

from llm_lineage import __version__
from llm_lineage.extraction.dates import parse_date, to_utc
from llm_lineage.extraction.decoding import decode_text
from llm_lineage.extraction.limits import (
    DEFAULT_LIMITS,
    MAX_FRONT_MATTER_ALIASES,
    MAX_FRONT_MATTER_CHARACTERS,
    MAX_FRONT_MATTER_DEPTH,
    MAX_TITLE_CHARACTERS,
    ReadLimits,
    check_text_length,
    clean_authors,
    clean_title,
)
from llm_lineage.extraction.model import ReaderOutput
from llm_lineage.extraction.readers.common import split_authors

#: Bounded, so a document that opens with ``---`` and never closes it costs one short scan.
_FRONT_MATTER = re.compile(
    rf"\A---[ \t]*\n(.{{0,{MAX_FRONT_MATTER_CHARACTERS}}}?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)",
    re.DOTALL,
)
#: An ATX heading line; its closing ``#``s and spaces are removed in Python: the pattern that
#: stripped them backtracked on a long run of spaces (5,000 spaces: 284 s of CPU).
_HEADING = re.compile(r"^#[ \t]+(.*)$", re.MULTILINE)
#: Scalars that can be a title, an author or a date. ``bool`` is an ``int`` but no title:
#: ``title: yes`` would read as "True".
_SCALARS = (str, int, float, dt.date)


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses front matter with many aliases or deep nesting.

    Aliases alone cannot blow up memory (the parsed value shares its parts), but anything that
    walks or prints the value (``str()``, JSON) expands it; and each nesting level is one
    Python stack frame in the composer.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_FRONT_MATTER_ALIASES:
                raise yaml.YAMLError(f"more than {MAX_FRONT_MATTER_ALIASES} aliases")
        self._depth += 1
        try:
            if self._depth > MAX_FRONT_MATTER_DEPTH:
                raise yaml.YAMLError(f"nested more than {MAX_FRONT_MATTER_DEPTH} deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _or_text(construct: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """A constructor that yields the scalar's text where ``construct`` raises ValueError, so
    that ``date: 2024-02-30`` or a 5,000-digit integer costs one value, not the front matter."""

    def construct_or_text(loader: Any, node: Any) -> Any:
        try:
            return construct(loader, node)
        except ValueError:
            return loader.construct_scalar(node)

    return construct_or_text


for _tag, _construct in (
    ("tag:yaml.org,2002:int", yaml.constructor.SafeConstructor.construct_yaml_int),
    ("tag:yaml.org,2002:timestamp", yaml.constructor.SafeConstructor.construct_yaml_timestamp),
):
    _BoundedLoader.add_constructor(_tag, _or_text(_construct))


def library_version() -> str:
    return __version__


def read_plain_text(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> ReaderOutput:
    """The decoded text with ``\\n`` line ends; its length is checked before that copy is made."""
    decoded = decode_text(data)
    check_text_length(len(decoded.text) - decoded.text.count("\r\n"), limits)
    return ReaderOutput(
        text=decoded.text.replace("\r\n", "\n"),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )


def _scalar(value: Any) -> str | None:
    """A YAML scalar as text; lists, mappings and everything else are no metadata."""
    if isinstance(value, bool) or not isinstance(value, _SCALARS):
        return None
    try:
        return str(value)
    except ValueError:  # an integer over Python's 4,300-digit printing limit
        return None


def _date(value: Any) -> dt.datetime | None:
    try:
        if isinstance(value, dt.datetime):
            return to_utc(value)
        if isinstance(value, dt.date):
            return dt.datetime(value.year, value.month, value.day, tzinfo=dt.timezone.utc)
        return parse_date(_scalar(value))
    except ValueError:  # 0001-01-01T00:00+01:00 has no UTC time (to_utc says so)
        return None


def _authors(value: Any) -> tuple[str, ...]:
    """A list of names (each a scalar; others ignored) or one field split like the other formats'."""
    if isinstance(value, list):
        return clean_authors(name for name in map(_scalar, value) if name is not None)
    return clean_authors(split_authors(_scalar(value)))


def _front_matter(body: str) -> tuple[dict[str, Any], str]:
    """The front matter's keys (lower case) and the text after it; ({}, body) when there is none
    or it is not metadata (malformed, too long, too many aliases, too deep, not a mapping)."""
    match = _FRONT_MATTER.match(body)
    if not match:
        return {}, body
    try:
        loaded = yaml.load(match.group(1), Loader=_BoundedLoader)  # a SafeLoader: no objects
    except Exception:  # YAMLError, and PyYAML's own bugs: "!!timestamp x" is AttributeError
        return {}, body
    if not isinstance(loaded, dict):
        return {}, body
    keys = {key: _scalar(key) for key in loaded}
    meta = {name.lower(): loaded[key] for key, name in keys.items() if name is not None}
    return meta, body[match.end() :]


def _heading(body: str) -> str | None:
    """The first level-one ATX heading's text, without its optional closing ``#``s."""
    match = _HEADING.search(body)
    if not match:
        return None
    line = match.group(1)[: MAX_TITLE_CHARACTERS * 4].rstrip()
    closed = line.rstrip("#")
    if closed != line and (not closed or closed[-1] in " \t"):
        line = closed.rstrip()
    return line or None


def read_markdown(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> ReaderOutput:
    """Text after the front matter, markup kept; its length is checked before metadata work.

    Only the text itself counts: front matter and the blank lines around the text do not.
    """
    decoded = decode_text(data)
    meta, body = _front_matter(decoded.text.replace("\r\n", "\n"))
    text = body.strip("\n")
    check_text_length(len(text), limits)
    title = _scalar(meta.get("title")) or _heading(body)
    return ReaderOutput(
        text=text,
        title=clean_title(title),
        authors=_authors(meta.get("authors", meta.get("author"))),
        created=_date(meta.get("date", meta.get("created"))),
        modified=_date(meta.get("modified", meta.get("updated", meta.get("lastmod")))),
        encoding=decoded.encoding,
        encoding_fallback=decoded.fallback,
    )
