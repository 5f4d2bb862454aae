"""Gopher quality heuristics (curation/quality.py): the measures on real text and each check."""

from __future__ import annotations

import pytest

from curation_fixtures import BOILERPLATE, BREAD, SYMBOL_SOUP
from llm_lineage.curation import CurationSettings
from llm_lineage.curation.quality import failed_checks, measure

DEFAULTS = CurationSettings()


def test_good_prose_passes_every_check() -> None:
    measures = measure(BREAD)
    assert measures.words == 97
    assert 4.0 < measures.mean_word_length < 6.0
    assert measures.alphabetic_words_ratio == 1.0
    assert failed_checks(measures, DEFAULTS) == []


def test_boilerplate_fails_on_repeated_lines() -> None:
    measures = measure(BOILERPLATE)
    assert measures.duplicate_lines_ratio == pytest.approx(57 / 60)
    assert "quality.max_duplicate_lines_ratio" in failed_checks(measures, DEFAULTS)


def test_symbol_soup_fails_on_symbols_and_letters() -> None:
    failed = failed_checks(measure(SYMBOL_SOUP), DEFAULTS)
    assert "quality.max_symbol_word_ratio" in failed
    assert "quality.min_alphabetic_words_ratio" in failed
    assert "quality.min_words" in failed  # words of punctuation only are not words


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("word " * 10, "quality.min_words"),
        (
            "\n".join(f"- item number {i} of the list" for i in range(60)),
            "quality.max_bullet_lines_ratio",
        ),
        (
            "\n".join(f"and then line {i} trails off..." for i in range(60)),
            "quality.max_ellipsis_lines_ratio",
        ),
        (" ".join(["supercalifragilisticexpialidocious"] * 60), "quality.max_mean_word_length"),
        (" ".join(["a b c"] * 60), "quality.min_mean_word_length"),
        (
            "\n\n".join([BREAD[:200], BREAD[:200], BREAD[200:]]),
            "quality.max_duplicate_paragraphs_ratio",
        ),
    ],
)
def test_each_check_drops_its_kind_of_text(text: str, check: str) -> None:
    assert check in failed_checks(measure(text), DEFAULTS)


def test_a_threshold_set_to_none_is_not_checked() -> None:
    lenient = CurationSettings(max_duplicate_lines_ratio=None, min_alphabetic_words_ratio=None)
    assert failed_checks(measure(BOILERPLATE), lenient) == []


def test_empty_text_measures_zero() -> None:
    measures = measure("")
    assert measures.words == 0 and measures.mean_word_length == 0.0
    assert failed_checks(measures, DEFAULTS) == [
        "quality.min_words",
        "quality.min_mean_word_length",
        "quality.min_alphabetic_words_ratio",
    ]
