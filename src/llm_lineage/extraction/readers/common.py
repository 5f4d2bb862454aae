"""Small helpers that several readers share."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator

from llm_lineage.extraction.limits import (
    MAX_AUTHOR_CHARACTERS,
    MAX_AUTHORS_PER_DOCUMENT,
    clean_authors,
)

#: No leading or trailing ``\s*``: on a long run of spaces that would backtrack quadratically.
#: A newline does not separate authors: "Alice\nMallory" is one (odd) name, not a forged second.
_AUTHOR_SEPARATORS = re.compile(r";|\s&\s|\sand\s")
#: Longest author field split; clean_authors keeps no more names than fit in this.
_MAX_AUTHOR_FIELD = MAX_AUTHORS_PER_DOCUMENT * MAX_AUTHOR_CHARACTERS * 2


def split_authors(value: str | None) -> Iterator[str]:
    """The names in an author field: split on ``;``, `` & `` and `` and ``; commas stay
    (``Last, First``). Whitespace is left for ``clean_authors`` to collapse."""
    if not value:
        return iter(())
    return iter(_AUTHOR_SEPARATORS.split(value[:_MAX_AUTHOR_FIELD]))


def authors_from(fields: Iterable[str | None]) -> tuple[str, ...]:
    """Clean, de-duplicated names from one or more author fields, in document order."""
    names = itertools.chain.from_iterable(split_authors(field) for field in fields)
    return clean_authors(names)
