"""CurationSettings: defaults, and wrong values refused naming the field."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from llm_lineage.curation import PII_KINDS, CurationSettings


def test_defaults() -> None:
    settings = CurationSettings()
    assert settings.languages is None and settings.pii == "redact"
    assert settings.pii_kinds == PII_KINDS and settings.deduplicate and settings.quality
    assert (settings.shingle_size, settings.num_perm, settings.jaccard_threshold) == (5, 128, 0.7)
    assert "batch_size" not in settings.thresholds()
    assert settings.thresholds()["min_words"] == 50


def test_languages_are_checked_against_the_detector() -> None:
    assert CurationSettings(languages="EN").languages == ("en",)
    assert CurationSettings(languages=["de", "en", "de"]).languages == ("de", "en")
    with pytest.raises(ValidationError, match=r"unknown language code.*'xx'"):
        CurationSettings(languages=["en", "xx"])
    with pytest.raises(ValidationError, match="at least one language"):
        CurationSettings(languages=[])


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("pii", "mask", "Input should be 'redact', 'drop', 'flag' or 'off'"),
        ("pii_kinds", ["email", "ssn"], "unknown kind"),
        ("jaccard_threshold", 0, "greater than 0"),
        ("num_perm", True, "not a boolean"),
        ("max_words", 10, "below min_words"),
        ("max_mean_word_length", 2.0, "below min_mean_word_length"),
        ("language_min_confidence", float("nan"), "finite number"),
        ("shingle", 3, "Extra inputs are not permitted"),
    ],
)
def test_wrong_values_name_the_field(field: str, value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        CurationSettings(**{field: value})
    assert info.value.errors()[0]["loc"][0] == field


def test_pii_kinds_keep_the_search_order() -> None:
    assert CurationSettings(pii_kinds=["phone", "email"]).pii_kinds == ("email", "phone")
