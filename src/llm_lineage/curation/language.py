"""Language identification with lingua (lingua-language-detector): offline, models in the wheel.

The detector considers every language lingua knows (75), so that a French text is identified
as French rather than as the nearest of the languages to keep. Each document's first
``language_sample_characters`` characters are classified; a batch is classified on lingua's own
threads. Models load lazily, per language, on first use, and stay loaded in the process.
lingua is imported when a run starts, so DAG parsing does not need the ``[curation]`` extra.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from llm_lineage.common.versions import package_version

#: A document's language (ISO 639-1, lower case; None when no language fits) and confidence.
Identified = tuple[str | None, float]


def library_version() -> str:
    return package_version("lingua-language-detector")


@cache
def _detector() -> Any:
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_all_languages().build()


class LanguageIdentifier:
    """The most likely language of each text, with lingua's confidence in it (0 to 1)."""

    def __init__(self, sample_characters: int) -> None:
        self.sample_characters = sample_characters
        self.detector = _detector()

    def identify(self, texts: list[str]) -> list[Identified]:
        samples = [text[: self.sample_characters] for text in texts]
        values = self.detector.compute_language_confidence_values_in_parallel(samples)
        return [_top(ranked) for ranked in values]


def _top(ranked: list[Any]) -> Identified:
    if not ranked or ranked[0].value <= 0.0:
        return None, 0.0
    best = ranked[0]
    return best.language.iso_code_639_1.name.lower(), float(best.value)
