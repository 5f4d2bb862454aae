"""The Parquet layouts that curation writes: the kept text (the source's own layout) and decisions.

The kept documents are written with the source's schema, column for column, so the curated
``text.parquet`` is extraction output to every later step. ``decisions.parquet`` holds one row
per document read, kept or not: what each rule measured and decided.
"""

from __future__ import annotations

import pyarrow as pa

from llm_lineage.curation.settings import PII_KINDS

TEXT_FILE = "text.parquet"
DECISIONS_FILE = "decisions.parquet"


def _field(name: str, kind: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"description": description})


#: The quality measures, each a column of the decisions (null when the quality rule is off).
QUALITY_COLUMNS: tuple[tuple[str, pa.DataType, str], ...] = (
    ("words", pa.int64(), "Words, leaving out those made only of punctuation"),
    ("mean_word_length", pa.float64(), "Mean length of those words, in characters"),
    ("symbol_word_ratio", pa.float64(), "'#' and ellipses per word"),
    ("bullet_lines_ratio", pa.float64(), "Share of non-empty lines that start with a bullet"),
    ("ellipsis_lines_ratio", pa.float64(), "Share of non-empty lines that end in an ellipsis"),
    ("duplicate_lines_ratio", pa.float64(), "Share of non-empty lines that repeat an earlier one"),
    (
        "duplicate_paragraphs_ratio",
        pa.float64(),
        "Share of paragraphs that repeat an earlier one",
    ),
    ("alphabetic_words_ratio", pa.float64(), "Share of words with at least one letter"),
)

DECISIONS_SCHEMA = pa.schema(
    [
        _field("doc_id", pa.string(), "Id of the document in the source text", False),
        _field("relative_path", pa.string(), "Path of the document relative to its collection"),
        _field("kept", pa.bool_(), "True when the document is in the curated text", False),
        _field(
            "reasons",
            pa.list_(pa.string()),
            "Rules that dropped or changed the document: language, quality.<check>, pii, "
            "exact_duplicate, near_duplicate",
            False,
        ),
        _field("duplicate_of", pa.string(), "doc_id of the kept document this one duplicates"),
        _field("similarity", pa.float64(), "Estimated Jaccard similarity to duplicate_of"),
        _field("language", pa.string(), "Most likely language, ISO 639-1 (lingua)"),
        _field("language_confidence", pa.float64(), "lingua's confidence in that language"),
        *(_field(name, kind, description) for name, kind, description in QUALITY_COLUMNS),
        *(_field(f"pii_{kind}", pa.int32(), f"Personal data found: {kind}") for kind in PII_KINDS),
        _field("characters_in", pa.int64(), "Characters of the document's text as read", False),
        _field("characters_out", pa.int64(), "Characters written (null when dropped)"),
    ]
)
