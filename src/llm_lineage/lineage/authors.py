"""Author names are personal data: each operator chooses to include, hash or omit them.

``shown_authors`` is the one place the policy is applied. Every builder that reports authors
(the documents collection facet, the text's description, the Parquet footer's documents summary
and through it the adapter's model card) reads a ``ShownAuthors`` and never the raw names.
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections import Counter
from dataclasses import dataclass
from enum import Enum

from llm_lineage.facets.document_collection import AuthorCount

#: Used when no salt is configured; set ``author_salt`` for tokens that outsiders cannot recompute.
DEFAULT_SALT = "llm-lineage"

#: Names a sentence lists (under ``include``); the facets list more.
PROSE_AUTHORS = 5


class AuthorPolicy(str, Enum):
    INCLUDE = "include"
    HASH = "hash"
    OMIT = "omit"


def author_token(name: str, salt: str) -> str:
    """A stable pseudonym: the same author (case and spacing aside) gives the same token."""
    normalized = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    digest = hmac.new(salt.encode(), normalized.encode(), hashlib.sha256).hexdigest()
    return f"author:{digest[:16]}"


@dataclass(frozen=True)
class ShownAuthors:
    """The documents' authors as lineage shows them under one policy."""

    policy: AuthorPolicy
    ranked: tuple[tuple[str, int], ...]
    """``(name or token, documents)``, most documents first, ties by name; empty under omit."""
    distinct: int
    """Distinct authors in the documents, whatever the policy shows."""
    prose: tuple[str, ...] | None
    """Names a sentence may list (the most frequent few), or None when the policy hides names."""

    def top(self, cap: int) -> tuple[list[AuthorCount], bool]:
        """At most ``cap`` authors as facet entries, and whether there were more."""
        return [AuthorCount(name=name, documentCount=count) for name, count in self.ranked[:cap]], (
            len(self.ranked) > cap
        )


def shown_authors(counts: Counter[str], policy: AuthorPolicy, salt: str | None) -> ShownAuthors:
    """Apply ``policy`` to the documents' author counts: names, salted tokens, or nothing.

    Ranked by the real names, so hashing changes what is shown and not the order. Names in
    prose keep ``Counter.most_common``'s order (equal counts in the order first seen).
    """
    if policy is AuthorPolicy.OMIT:
        return ShownAuthors(policy, (), len(counts), None)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if policy is AuthorPolicy.HASH:
        token_salt = salt or DEFAULT_SALT
        ranked = [(author_token(name, token_salt), count) for name, count in ranked]
        return ShownAuthors(policy, tuple(ranked), len(counts), None)
    prose = tuple(name for name, _ in counts.most_common(PROSE_AUTHORS))
    return ShownAuthors(policy, tuple(ranked), len(counts), prose)
