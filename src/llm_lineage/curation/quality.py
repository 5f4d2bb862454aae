"""Quality heuristics of the Gopher kind: measures of a text, and the checks that drop it.

The measures follow the Gopher quality and repetition filters (Rae et al., 2021, appendix A) as
Hugging Face's datatrove implements them: words are whitespace-separated; word counts and mean
word length leave out words made only of punctuation; the symbol ratio counts ``#`` and
ellipses per word; line shares are of non-empty lines, paragraph shares of blank-line-separated
paragraphs.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from llm_lineage.curation.settings import CurationSettings

# Quotation marks, dashes and bullets beyond ASCII, by code point (they look like ASCII ones).
_PUNCTUATION = frozenset(string.punctuation + "\u2018\u2019\u201c\u201d«»\u2013\u2014…•·¡¿")
_BULLETS = ("•", "‣", "\u2043", "◦", "●", "○", "▪", "■", "-", "*", "\u2013", "\u2014")
_ELLIPSES = ("...", "…")
_PARAGRAPHS = re.compile(r"\n\s*\n")


@dataclass(frozen=True)
class QualityMeasures:
    """The measures the quality checks compare with their thresholds (ratios are 0 to 1)."""

    words: int
    mean_word_length: float
    symbol_word_ratio: float
    bullet_lines_ratio: float
    ellipsis_lines_ratio: float
    duplicate_lines_ratio: float
    duplicate_paragraphs_ratio: float
    alphabetic_words_ratio: float


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _repeated(items: Iterable[str]) -> tuple[int, int]:
    """How many items repeat an earlier one, and how many there are."""
    seen: set[str] = set()
    repeats = total = 0
    for item in items:
        total += 1
        if item in seen:
            repeats += 1
        else:
            seen.add(item)
    return repeats, total


def measure(text: str) -> QualityMeasures:
    """The Gopher measures of ``text``."""
    words = text.split()
    real = [word for word in words if not all(char in _PUNCTUATION for char in word)]
    symbols = text.count("#") + sum(text.count(ellipsis) for ellipsis in _ELLIPSES)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    paragraphs = (part.strip() for part in _PARAGRAPHS.split(text) if part.strip())
    duplicate_lines, line_count = _repeated(lines)
    duplicate_paragraphs, paragraph_count = _repeated(paragraphs)
    return QualityMeasures(
        words=len(real),
        mean_word_length=_ratio(sum(len(word) for word in real), len(real)),
        symbol_word_ratio=_ratio(symbols, len(words)),
        bullet_lines_ratio=_ratio(sum(line.startswith(_BULLETS) for line in lines), len(lines)),
        ellipsis_lines_ratio=_ratio(sum(line.endswith(_ELLIPSES) for line in lines), len(lines)),
        duplicate_lines_ratio=_ratio(duplicate_lines, line_count),
        duplicate_paragraphs_ratio=_ratio(duplicate_paragraphs, paragraph_count),
        alphabetic_words_ratio=_ratio(
            sum(any(char.isalpha() for char in word) for word in words), len(words)
        ),
    )


def _low(value: float, bound: float | None) -> bool:
    return bound is not None and value < bound


def _high(value: float, bound: float | None) -> bool:
    return bound is not None and value > bound


def failed_checks(measures: QualityMeasures, settings: CurationSettings) -> list[str]:
    """The names (``quality.<threshold>``) of the checks that ``measures`` fail, in order."""
    s, m = settings, measures
    checks = [
        ("min_words", _low(m.words, s.min_words)),
        ("max_words", _high(m.words, s.max_words)),
        ("min_mean_word_length", _low(m.mean_word_length, s.min_mean_word_length)),
        ("max_mean_word_length", _high(m.mean_word_length, s.max_mean_word_length)),
        ("max_symbol_word_ratio", _high(m.symbol_word_ratio, s.max_symbol_word_ratio)),
        ("max_bullet_lines_ratio", _high(m.bullet_lines_ratio, s.max_bullet_lines_ratio)),
        ("max_ellipsis_lines_ratio", _high(m.ellipsis_lines_ratio, s.max_ellipsis_lines_ratio)),
        (
            "max_duplicate_lines_ratio",
            _high(m.duplicate_lines_ratio, s.max_duplicate_lines_ratio),
        ),
        (
            "max_duplicate_paragraphs_ratio",
            _high(m.duplicate_paragraphs_ratio, s.max_duplicate_paragraphs_ratio),
        ),
        (
            "min_alphabetic_words_ratio",
            _low(m.alphabetic_words_ratio, s.min_alphabetic_words_ratio),
        ),
    ]
    return [f"quality.{name}" for name, failed in checks if failed]
