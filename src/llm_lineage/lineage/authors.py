"""Author names are personal data: each operator chooses to include, hash or omit them."""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections import Counter
from enum import Enum

from llm_lineage.facets.document_collection import AuthorCount

#: Used when no salt is configured; set ``author_salt`` for tokens that outsiders cannot recompute.
DEFAULT_SALT = "llm-lineage"


class AuthorPolicy(str, Enum):
    INCLUDE = "include"
    HASH = "hash"
    OMIT = "omit"


def author_token(name: str, salt: str) -> str:
    """A stable pseudonym: the same author (case and spacing aside) gives the same token."""
    normalized = " ".join(unicodedata.normalize("NFKC", name).casefold().split())
    digest = hmac.new(salt.encode(), normalized.encode(), hashlib.sha256).hexdigest()
    return f"author:{digest[:16]}"


def present_authors(
    counts: Counter[str], policy: AuthorPolicy, salt: str | None, cap: int
) -> tuple[list[AuthorCount], bool]:
    """Authors as the policy shows them, most documents first, at most ``cap``; and truncated?"""
    if policy is AuthorPolicy.OMIT:
        return [], False
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    if policy is AuthorPolicy.HASH:
        ranked = [(author_token(name, salt or DEFAULT_SALT), count) for name, count in ranked]
    return [AuthorCount(name=name, documentCount=count) for name, count in ranked[:cap]], (
        len(ranked) > cap
    )
