"""The author policy (``lineage/authors.py``): include, hash or omit, applied in one place."""

from __future__ import annotations

from collections import Counter

import pytest

from llm_lineage.facets.document_collection import AuthorCount
from llm_lineage.lineage.authors import (
    DEFAULT_SALT,
    PROSE_AUTHORS,
    AuthorPolicy,
    author_token,
    shown_authors,
)

#: Insertion order differs from name order, so ties show which order each view keeps.
COUNTS = Counter({"Grace Hopper": 3, "Alan Turing": 5, "Ada Lovelace": 3, "Zed Zimmer": 1})
NAMES = ("Alan", "Ada", "Grace", "Turing", "Lovelace", "Hopper", "Zed", "Zimmer")


def test_include_ranks_by_documents_then_name() -> None:
    shown = shown_authors(COUNTS, AuthorPolicy.INCLUDE, None)

    assert shown.ranked == (
        ("Alan Turing", 5),
        ("Ada Lovelace", 3),
        ("Grace Hopper", 3),
        ("Zed Zimmer", 1),
    )
    assert shown.distinct == 4
    assert shown.policy is AuthorPolicy.INCLUDE


def test_top_caps_and_says_so() -> None:
    shown = shown_authors(COUNTS, AuthorPolicy.INCLUDE, None)

    assert shown.top(2) == (
        [
            AuthorCount(name="Alan Turing", documentCount=5),
            AuthorCount(name="Ada Lovelace", documentCount=3),
        ],
        True,
    )
    assert shown.top(4)[1] is False  # a cap equal to the count truncates nothing
    assert len(shown.top(10)[0]) == 4


def test_prose_names_keep_first_seen_order_among_equals() -> None:
    counts = Counter({f"Author {i:02d}": 1 for i in range(9, 0, -1)})

    shown = shown_authors(counts, AuthorPolicy.INCLUDE, None)

    assert shown.prose == ("Author 09", "Author 08", "Author 07", "Author 06", "Author 05")
    assert len(shown.prose) == PROSE_AUTHORS
    assert [name for name, _ in shown.ranked[:2]] == ["Author 01", "Author 02"]


def test_hash_replaces_names_with_salted_tokens_in_the_names_order() -> None:
    shown = shown_authors(COUNTS, AuthorPolicy.HASH, "pepper")

    assert shown.ranked == (
        (author_token("Alan Turing", "pepper"), 5),
        (author_token("Ada Lovelace", "pepper"), 3),
        (author_token("Grace Hopper", "pepper"), 3),
        (author_token("Zed Zimmer", "pepper"), 1),
    )
    assert shown.prose is None  # a sentence never lists tokens or names under hash
    assert shown.distinct == 4
    for name, _ in shown.ranked:
        assert name.startswith("author:")
        assert not any(part in name for part in NAMES)


def test_hash_without_salt_uses_the_default_salt() -> None:
    shown = shown_authors(Counter({"Ada Lovelace": 1}), AuthorPolicy.HASH, None)

    assert shown.top(5) == ([AuthorCount(name="author:7b05e7be646af53c", documentCount=1)], False)
    assert author_token("Ada Lovelace", DEFAULT_SALT) == "author:7b05e7be646af53c"


def test_omit_shows_nothing_but_the_count() -> None:
    shown = shown_authors(COUNTS, AuthorPolicy.OMIT, "pepper")

    assert shown.ranked == ()
    assert shown.prose is None
    assert shown.top(10) == ([], False)
    assert shown.distinct == 4


@pytest.mark.parametrize("policy", list(AuthorPolicy))
def test_no_authors(policy: AuthorPolicy) -> None:
    shown = shown_authors(Counter(), policy, None)

    assert shown.top(10) == ([], False)
    assert shown.distinct == 0
    assert shown.prose == (() if policy is AuthorPolicy.INCLUDE else None)


def test_policy_from_config_string() -> None:
    assert AuthorPolicy("hash") is AuthorPolicy.HASH
    with pytest.raises(ValueError):
        AuthorPolicy("redact")


@pytest.mark.parametrize(
    "variant",
    ["Ada Lovelace", "ada lovelace", "ADA LOVELACE", "  Ada   Lovelace ", "Ada\tLovelace"],
)
def test_author_token_is_stable_across_case_and_spacing(variant: str) -> None:
    assert author_token(variant, "salt") == author_token("Ada Lovelace", "salt")


def test_author_token_normalizes_unicode() -> None:
    composed = "Ren\u00e9 Descartes"
    decomposed = "Rene\u0301 Descartes"

    assert author_token(decomposed, "salt") == author_token(composed, "salt")


def test_author_token_depends_on_salt_and_name() -> None:
    token = author_token("Ada Lovelace", "salt-a")

    assert token != author_token("Ada Lovelace", "salt-b")
    assert token != author_token("Alan Turing", "salt-a")
    assert len(token) == len("author:") + 16
    assert all(ch in "0123456789abcdef" for ch in token.removeprefix("author:"))
