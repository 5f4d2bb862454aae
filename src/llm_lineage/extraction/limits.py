"""What one document may expand to, and how its metadata strings are cleaned and cut.

Corpora come from everywhere: a 300-byte file can be a YAML alias bomb, a 200 KB DOCX can be a
zip bomb, a PDF title can hold NUL bytes or a newline that forges a second author. Readers take
a ``ReadLimits`` and apply it before and while they parse; every metadata string a reader
returns goes through ``clean_title`` or ``clean_authors`` so the manifest, the text table and lineage all see the
same safe value.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from llm_lineage.extraction.model import DocumentError

#: Longest title kept, in characters; longer titles are cut and end with an ellipsis.
MAX_TITLE_CHARACTERS = 500
#: Longest author name kept, in characters.
MAX_AUTHOR_CHARACTERS = 200
#: Most authors kept per document (the first ones, in the document's order).
MAX_AUTHORS_PER_DOCUMENT = 100
#: Largest Markdown front matter parsed as YAML, in characters; larger front matter is text.
MAX_FRONT_MATTER_CHARACTERS = 64 * 1024
#: Most YAML aliases (``*name``) front matter may use; past it, the front matter is text. Real
#: front matter rarely uses one; a "billion laughs" bomb needs dozens.
MAX_FRONT_MATTER_ALIASES = 16
#: Deepest YAML nesting in front matter; deeper front matter is text.
MAX_FRONT_MATTER_DEPTH = 32
#: Most parts (ZIP entries) a DOCX may have; Word writes a few dozen, plus one per image.
MAX_PACKAGE_PARTS = 10_000
#: Deepest HTML element nesting read. Parsing a chain of nested block elements takes time that
#: grows with the square of its depth (the HTML tree builder scans the open elements at each
#: one); browsers stop nesting at 512 (Chromium's kMaximumHTMLParserDOMTreeDepth).
MAX_HTML_DEPTH = 512

DEFAULT_MAX_CHARACTERS = 20_000_000
DEFAULT_MAX_EXPANDED_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class ReadLimits:
    """Limits a reader enforces on one document.

    ``max_characters``: extracted text longer than this fails the document (not truncated:
    half a document is a different document). ``max_expanded_bytes``: the uncompressed size of
    a packaged format's parts (DOCX is a ZIP), checked from the ZIP directory before any part
    is inflated.
    """

    max_characters: int = DEFAULT_MAX_CHARACTERS
    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES


DEFAULT_LIMITS = ReadLimits()

#: Control characters (C0, DEL, C1): they become spaces.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
#: Bidirectional marks, embeddings, overrides and isolates, zero-width space, word joiner and
#: other invisible format characters that can disguise a string: they vanish. Zero-width
#: (non-)joiners stay: Persian and Indic names need them.
_INVISIBLE = re.compile(
    "[\u061c\u200b\u200e\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]"
)
#: Lone UTF-16 surrogates (a YAML "\\ud800" escape makes one): no UTF-8 writer accepts them.
_SURROGATES = re.compile("[\ud800-\udfff]")
_SPACES = re.compile(r"\s+")


def check_text_length(characters: int, limits: ReadLimits, so_far: str = "") -> None:
    """Refuse a text longer than ``limits.max_characters``; ``so_far`` says where a reader stopped.

    Text is refused, never cut: half a document is a different document, and a silent cut
    would make the corpus lie about what it holds.
    """
    if characters > limits.max_characters:
        raise DocumentError(
            f"text has {characters:,} characters{so_far}, over "
            f"max_document_characters={limits.max_characters:,}"
        )


def clean_metadata(value: object, limit: int) -> str | None:
    """One line of visible text, at most ``limit`` characters, or None when nothing is left.

    Newlines, tabs and other control characters become spaces, invisible formatting characters
    (bidi overrides, zero-width space) vanish, lone surrogates become U+FFFD, runs of spaces
    become one, and the result is NFC-normalized, so a metadata field can never split into two
    values, hide text, or break a store that refuses NUL (PostgreSQL ``jsonb``) or surrogates.
    """
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    text = text[: limit * 4]  # bound the work on a pathological value before cleaning it
    text = _SURROGATES.sub("\ufffd", text)
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", unicodedata.normalize("NFC", text)))
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return None
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    return text


def clean_title(value: object) -> str | None:
    return clean_metadata(value, MAX_TITLE_CHARACTERS)


def clean_authors(names: object) -> tuple[str, ...]:
    """Cleaned, de-duplicated author names in order, at most MAX_AUTHORS_PER_DOCUMENT.

    ``names`` is one name or an iterable of names; only the first few hundred are looked at, so
    a lazy iterable over a huge field costs no more than its head.
    """
    if names is None:
        return ()
    values: Iterable[object] = (
        names if isinstance(names, Iterable) and not isinstance(names, str) else [names]
    )
    cleaned: dict[str, None] = {}
    for name in itertools.islice(values, MAX_AUTHORS_PER_DOCUMENT * 4):
        text = clean_metadata(name, MAX_AUTHOR_CHARACTERS)
        if text:
            cleaned[text] = None
        if len(cleaned) >= MAX_AUTHORS_PER_DOCUMENT:
            break
    return tuple(cleaned)
