"""Small helpers that several readers share."""

from __future__ import annotations

import re

_AUTHOR_SEPARATORS = re.compile(r"\s*(?:;|\n|\s&\s|\sand\s)\s*")


def split_authors(value: str | None) -> tuple[str, ...]:
    """Split an author field on ``;``, newlines, `` & `` and `` and ``; commas stay (``Last, First``)."""
    if not value:
        return ()
    names = (" ".join(name.split()) for name in _AUTHOR_SEPARATORS.split(value))
    return tuple(dict.fromkeys(name for name in names if name))
