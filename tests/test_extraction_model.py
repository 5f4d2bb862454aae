"""The corpus summary of an extraction result (CorpusSummary in extraction/model.py).

Its aggregates stay small whatever the corpus, and its collection version follows every
document read, the failed ones included.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq

from extraction_fixtures import FILE_TIME, UTC, extract_folder, make_text_corpus
from llm_lineage.extraction import TEXT_FILE


def test_collection_version_changes_when_a_failing_document_changes(
    mixed: Path, tmp_path: Path
) -> None:
    first = extract_folder(mixed, tmp_path / "out1")
    (mixed / "bad" / "junk.txt").write_bytes(b"\x00" * 5000)

    second = extract_folder(mixed, tmp_path / "out2")

    assert second.summary.collection_version != first.summary.collection_version


def test_summary_aggregates(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = extract_folder(mixed, out).summary

    assert summary.formats == Counter({"text": 2, "pdf": 1, "docx": 1, "html": 1, "markdown": 1})
    assert summary.mime_types["markdown"] == "text/markdown"
    assert summary.mime_types["docx"] == (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert summary.authors == Counter({"Ada Lovelace": 2, "Alan Turing": 2, "Grace Hopper": 1})
    assert summary.documents_without_author == 2
    assert summary.created_min == FILE_TIME
    assert summary.created_max == dt.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert summary.modified_min == FILE_TIME
    assert summary.dates_from_metadata == 4
    assert summary.dates_from_filesystem == 2
    assert summary.encoding_fallbacks == 1
    assert summary.pages == 2
    texts = pq.read_table(out / TEXT_FILE, columns=["text"]).column("text").to_pylist()
    assert summary.characters == sum(len(text) for text in texts)


def test_summary_sample_is_capped(tmp_path: Path) -> None:
    source = make_text_corpus(tmp_path / "corpus", 12)

    summary = extract_folder(source, tmp_path / "out").summary

    assert summary.documents == 12
    assert [record.relative_path for record in summary.sample] == [
        f"doc-{index:02d}.txt" for index in range(10)
    ]
