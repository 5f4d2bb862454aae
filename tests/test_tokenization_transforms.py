"""Text transforms (tokenization/transforms.py): parsing, what each does, and their counts."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from pydantic import ValidationError

from llm_lineage.tokenization import (
    DEFAULT_TRANSFORMS,
    TransformChain,
    TransformSpec,
    parse_transforms,
)


def test_parse_transforms_accepts_names_dicts_and_specs() -> None:
    parsed = parse_transforms(
        [
            "clean_whitespace",
            {"name": "min_length", "chars": 20},
            {"name": "max_length", "params": {"chars": 500}},
            TransformSpec(name="unicode_normalize", params={"form": "NFKC"}),
            {"name": "unicode_normalize"},
        ]
    )
    assert [(spec.name, spec.params) for spec in parsed] == [
        ("clean_whitespace", {}),
        ("min_length", {"chars": 20}),
        ("max_length", {"chars": 500}),
        ("unicode_normalize", {"form": "NFKC"}),
        ("unicode_normalize", {"form": "NFC"}),  # the default, filled in for lineage
    ]
    assert parse_transforms("deduplicate") == (TransformSpec(name="deduplicate"),)
    assert [spec.name for spec in parse_transforms(DEFAULT_TRANSFORMS)] == list(DEFAULT_TRANSFORMS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lowercase", "lowercase"),
        ({"name": "min_length"}, r"'min_length': parameter 'chars': Field required"),
        ({"name": "max_length", "chars": 0}, r"'max_length': parameter 'chars'.*greater than 0"),
        ({"name": "min_length", "chars": True}, r"'min_length': parameter 'chars'.*boolean"),
        ({"name": "min_length", "chars": "many"}, r"'min_length': parameter 'chars'"),
        ({"name": "deduplicate", "window": 3}, r"'deduplicate': parameter 'window'"),
        ({"name": "unicode_normalize", "form": "NFX"}, r"'unicode_normalize': parameter 'form'"),
        (
            {"name": "min_length", "chars": 3, "params": {"chars": 3}},
            r"'min_length': give parameters either in 'params' or beside",
        ),
    ],
)
def test_wrong_transforms_are_named(value: Any, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        parse_transforms([value])


def test_unicode_normalize_counts_changes() -> None:
    chain = TransformChain([{"name": "unicode_normalize", "form": "NFKC"}])
    assert chain.apply("ﬁne caf\u0065\u0301") == "fine café"
    assert chain.apply("already plain") == "already plain"
    [stats] = chain.stats
    assert (stats.name, stats.params, stats.changed, stats.dropped) == (
        "unicode_normalize",
        {"form": "NFKC"},
        1,
        0,
    )

    nfd = TransformChain([{"name": "unicode_normalize", "form": "NFD"}])
    assert nfd.apply("café") == unicodedata.normalize("NFD", "café")
    nfc = TransformChain(["unicode_normalize"])
    assert nfc.apply("ﬁ") == "ﬁ"  # NFC keeps compatibility ligatures


def test_clean_whitespace() -> None:
    chain = TransformChain(["clean_whitespace"])
    assert chain.apply("  a \t\t b  \r\n c\n\n\n\n\n  d  \n \n e ") == "a b\nc\n\nd\n\ne"
    assert chain.apply("tidy\n\ntext") == "tidy\n\ntext"
    assert chain.apply(" \n\t \n") is None  # nothing left to train on
    [stats] = chain.stats
    assert (stats.changed, stats.dropped) == (1, 1)


def test_deduplicate_sees_the_text_after_the_transforms_before_it() -> None:
    documents = ["ﬁne day", "fine day", "fine  day", "other day", "fine day"]

    plain = TransformChain(["deduplicate"])
    assert [plain.apply(text) for text in documents] == [
        "ﬁne day",
        "fine day",
        "fine  day",
        "other day",
        None,
    ]
    assert plain.stats[0].dropped == 1

    normalized = TransformChain(
        [{"name": "unicode_normalize", "form": "NFKC"}, "clean_whitespace", "deduplicate"]
    )
    assert [normalized.apply(text) for text in documents] == [
        "fine day",
        None,
        None,
        "other day",
        None,
    ]
    assert [(s.name, s.changed, s.dropped) for s in normalized.stats] == [
        ("unicode_normalize", 1, 0),
        ("clean_whitespace", 1, 0),
        ("deduplicate", 0, 3),
    ]


def test_length_filters_are_inclusive_and_stop_the_chain() -> None:
    chain = TransformChain(
        [{"name": "min_length", "chars": 5}, {"name": "max_length", "chars": 6}, "deduplicate"]
    )
    results = [chain.apply(text) for text in ["abcd", "abcde", "abcdef", "abcdefg", "abcde"]]
    assert results == [None, "abcde", "abcdef", None, None]
    assert [(s.name, s.dropped) for s in chain.stats] == [
        ("min_length", 1),
        ("max_length", 1),
        ("deduplicate", 1),  # "abcd" and "abcdefg" never reached it
    ]
    assert chain.describe() == [
        ("min_length", {"chars": 5}),
        ("max_length", {"chars": 6}),
        ("deduplicate", {}),
    ]
