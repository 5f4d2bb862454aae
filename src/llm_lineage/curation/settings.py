"""Validated curation settings: wrong values fail when the DAG is parsed, naming the field.

Every rule can be turned off: ``languages=None`` (no language filter), ``quality=False``,
``deduplicate=False``, ``pii="off"``; a single quality threshold set to None turns off that
check alone. The quality defaults are those of the Gopher rules (Rae et al., 2021, appendix A).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real

#: The kinds of personal data the PII rule finds, in the order it looks for them.
PII_KINDS: tuple[str, ...] = ("email", "iban", "card", "ip", "phone")

PiiMode = Literal["redact", "drop", "flag", "off"]

_Ratio = Field(ge=0.0, le=1.0)


def _iso_codes(value: tuple[str, ...]) -> tuple[str, ...]:
    """Lower-case ISO 639-1 codes that the language detector knows, in the order given."""
    try:
        from lingua import Language
    except ImportError as error:  # the [curation] extra is missing
        raise ConfigError(
            "language identification needs lingua-language-detector "
            "(pip install 'airflow-provider-llm-lineage[curation]')"
        ) from error
    known = {language.iso_code_639_1.name.lower() for language in Language.all()}
    codes = tuple(dict.fromkeys(code.strip().lower() for code in value))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ConfigError(
            f"unknown language code(s) {', '.join(map(repr, unknown))}: "
            "give ISO 639-1 codes such as 'en', 'de', 'fr'"
        )
    return codes


class CurationSettings(BaseModel):
    """Which documents of extracted text go on to tokenization, and how they are changed.

    The rules run in this order: language, quality, personal data (PII), duplicates. A document
    that any rule drops is not written; duplicates are looked for among the documents that the
    other rules keep, so ``duplicate_of`` always names a document that was kept.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    languages: tuple[str, ...] | None = None
    language_min_confidence: Real = Field(default=0.5, ge=0.0, le=1.0)
    language_sample_characters: Integer = Field(default=10_000, gt=0)

    quality: bool = True
    min_words: Integer | None = Field(default=50, ge=0)
    max_words: Integer | None = Field(default=100_000, gt=0)
    min_mean_word_length: Real | None = Field(default=3.0, ge=0.0)
    max_mean_word_length: Real | None = Field(default=10.0, gt=0.0)
    max_symbol_word_ratio: Real | None = Field(default=0.1, ge=0.0)
    max_bullet_lines_ratio: Real | None = Field(default=0.9, ge=0.0, le=1.0)
    max_ellipsis_lines_ratio: Real | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_lines_ratio: Real | None = Field(default=0.3, ge=0.0, le=1.0)
    max_duplicate_paragraphs_ratio: Real | None = Field(default=0.3, ge=0.0, le=1.0)
    min_alphabetic_words_ratio: Real | None = Field(default=0.8, ge=0.0, le=1.0)

    pii: PiiMode = "redact"
    pii_kinds: tuple[str, ...] = Field(default=PII_KINDS, min_length=1)

    deduplicate: bool = True
    shingle_size: Integer = Field(default=5, gt=0, le=64)
    num_perm: Integer = Field(default=128, ge=16, le=1024)
    jaccard_threshold: Real = Field(default=0.7, gt=0.0, le=1.0)
    minhash_seed: Integer = Field(default=1, ge=0, lt=2**32)

    batch_size: Integer = Field(default=256, gt=0)
    row_group_rows: Integer = Field(default=1000, gt=0)
    progress_interval: Real = Field(default=10.0, gt=0)

    @field_validator("languages", "pii_kinds", mode="before")
    @classmethod
    def _one_string(cls, value: Any) -> Any:
        return (value,) if isinstance(value, str) else value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        if not value:
            raise ConfigError("give at least one language code, or None to keep every language")
        return _iso_codes(value)

    @field_validator("pii_kinds")
    @classmethod
    def _pii_kinds(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [kind for kind in value if kind not in PII_KINDS]
        if unknown:
            raise ConfigError(
                f"unknown kind(s) {', '.join(map(repr, unknown))}: "
                f"choose from {', '.join(PII_KINDS)}"
            )
        return tuple(kind for kind in PII_KINDS if kind in value)

    @field_validator("max_words")
    @classmethod
    def _word_bounds(cls, value: int | None, info: Any) -> int | None:
        low = info.data.get("min_words")
        if value is not None and low is not None and value < low:
            raise ConfigError(f"max_words ({value}) is below min_words ({low})")
        return value

    @field_validator("max_mean_word_length")
    @classmethod
    def _length_bounds(cls, value: float | None, info: Any) -> float | None:
        low = info.data.get("min_mean_word_length")
        if value is not None and low is not None and value < low:
            raise ConfigError(
                f"max_mean_word_length ({value}) is below min_mean_word_length ({low})"
            )
        return value

    def thresholds(self) -> dict[str, Any]:
        """Every rule's setting, for lineage: what a decision was measured against."""
        return self.model_dump(
            mode="json", exclude={"batch_size", "row_group_rows", "progress_interval"}
        )
