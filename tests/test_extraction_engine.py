"""The extraction run (extraction/engine.py) over real folders: results, failures, progress.

What the run writes is checked in test_extraction_tables.py (the Parquet layouts),
test_common_parquet.py (row groups, content hashes) and test_extraction_model.py (the summary).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from documents import make_bad_documents
from extraction_fixtures import (
    BAD,
    FILE_TIME,
    GOOD,
    UTC,
    ListLogger,
    extract_folder,
    make_text_corpus,
)
from llm_lineage.extraction import DEFAULT_INCLUDE, TEXT_FILE, ExtractionFailed


def test_mixed_folder_counts_failures_and_extracts_the_rest(mixed: Path, tmp_path: Path) -> None:
    logger = ListLogger()
    result = extract_folder(mixed, tmp_path / "out", logger)

    assert result.source_uri == mixed.as_uri()
    assert result.documents_total == 11
    assert result.documents_seen == 11
    assert result.summary.documents == 6
    assert result.failure_count == 5
    assert sorted(record.relative_path for record in result.summary.sample) == GOOD
    reasons = {failure.relative_path: failure.reason for failure in result.failures}
    assert set(reasons) == set(BAD)
    for path, reason in BAD.items():
        assert reasons[path].startswith(reason), (path, reasons[path])
    corrupt = next(f for f in result.failures if f.relative_path == "bad/corrupt.pdf")
    assert corrupt.source_uri == (mixed / "bad" / "corrupt.pdf").as_uri()
    assert corrupt.error_type == "DocumentError"
    assert corrupt.format == "pdf"
    assert corrupt.size_bytes == (mixed / "bad" / "corrupt.pdf").stat().st_size

    selected = [mixed / path for path in GOOD + list(BAD)]
    assert result.bytes_read == sum(path.stat().st_size for path in selected)
    assert result.summary.bytes == sum((mixed / path).stat().st_size for path in GOOD)
    assert result.text_output is not None and result.manifest_output is not None
    assert result.text_output.rows == 6
    assert result.manifest_output.rows == 11
    assert result.text_output.uri == str(tmp_path / "out" / TEXT_FILE)
    assert result.text_output.size_bytes == (tmp_path / "out" / TEXT_FILE).stat().st_size
    assert result.wall_seconds > 0
    assert result.peak_memory_bytes and result.peak_memory_bytes > 0

    assert len(logger.warnings) == 5
    assert (
        f"Skipping {(mixed / 'bad' / 'empty.txt').as_uri()}: empty file (0 bytes)"
        in logger.warnings
    )
    # a corpus this small is parsed in the task's process by default (engine.is_small)
    assert logger.infos[0] == "Parsing 11 documents in this process (a small corpus)"
    assert len(logger.infos) == 2
    assert logger.infos[1].startswith("Extracted: 11/11 documents (100.0%), ")


def test_records_carry_metadata_and_provenance(mixed: Path, tmp_path: Path) -> None:
    result = extract_folder(mixed, tmp_path / "out")

    records = {record.relative_path: record for record in result.summary.sample}
    pdf = records["report.pdf"]
    assert pdf.format == "pdf"
    assert pdf.mime_type == "application/pdf"
    assert pdf.title == "Report"
    assert pdf.authors == ("Ada Lovelace", "Alan Turing")
    assert pdf.created == dt.datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    assert pdf.created_source == "metadata"
    assert pdf.pages == 2
    assert pdf.extractor == "pypdfium2"
    assert len(pdf.sha256) == 64
    assert len(pdf.doc_id) == 16
    plain = records["plain.txt"]
    assert plain.created == FILE_TIME
    assert plain.created_source == "filesystem"
    assert plain.modified == FILE_TIME
    assert plain.modified_source == "filesystem"
    assert plain.characters == len("Plain text body.\n")
    latin = records["latin.txt"]
    assert latin.encoding == "cp1252"
    assert latin.encoding_fallback is True
    assert latin.characters == len("Café crème brûlée")


def test_on_error_fail_raises_naming_the_file_with_partial_result(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    source.mkdir()
    (source / "a.txt").write_text("first, fine", encoding="utf-8")
    (source / "b.pdf").write_bytes(b"%PDF-1.7\nnothing else here")
    (source / "c.txt").write_text("third, never read", encoding="utf-8")

    with pytest.raises(ExtractionFailed) as caught:
        extract_folder(source, tmp_path / "out", on_error="fail")

    message = str(caught.value)
    assert message.startswith(f"{(source / 'b.pdf').as_uri()}: corrupt PDF: ")
    assert message.endswith("(on_error='fail')")
    result = caught.value.result
    assert result.documents_total == 3
    assert result.documents_seen == 2
    assert result.summary.documents == 1
    assert [failure.relative_path for failure in result.failures] == ["b.pdf"]
    assert result.text_output is None  # outputs are not published
    assert (
        result.bytes_read == (source / "a.txt").stat().st_size + (source / "b.pdf").stat().st_size
    )


def test_every_document_failing_raises(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    make_bad_documents(source)

    with pytest.raises(ExtractionFailed) as caught:
        extract_folder(source, tmp_path / "out")

    message = str(caught.value)
    assert message.startswith(
        f"all 5 documents in {source.as_uri()} failed; first: "
        f"{(source / 'corrupt.pdf').as_uri()}: corrupt PDF: "
    )
    assert caught.value.result.failure_count == 5
    assert caught.value.result.summary.documents == 0
    assert caught.value.result.text_output is None


def test_nothing_matching_raises(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    source.mkdir()
    (source / "letter.rtf").write_text("{\\rtf1 x}", encoding="ascii")
    (source / ".hidden.txt").write_text("hidden", encoding="utf-8")

    with pytest.raises(ExtractionFailed) as caught:
        extract_folder(source, tmp_path / "out")

    assert str(caught.value) == (
        f"no documents in {source.as_uri()} match include={list(DEFAULT_INCLUDE)} exclude=[]"
    )
    assert caught.value.result.documents_total == 0


def test_max_document_bytes_gives_file_too_large(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    source.mkdir()
    (source / "big.txt").write_text("x" * 200, encoding="utf-8")
    (source / "small.txt").write_text("0123456789", encoding="utf-8")

    result = extract_folder(source, tmp_path / "out", max_document_bytes=100)

    assert [(f.relative_path, f.reason) for f in result.failures] == [
        ("big.txt", "file too large: 200 bytes, over max_document_bytes=100")
    ]
    assert result.summary.documents == 1
    assert result.bytes_read == 10  # the big file is never read


def test_engine_progress_interval_comes_from_settings(tmp_path: Path) -> None:
    source = make_text_corpus(tmp_path / "corpus", 4)
    logger = ListLogger()

    extract_folder(source, tmp_path / "out", logger, progress_interval=1e-9)

    progress = [line for line in logger.infos if line.startswith("Extracted")]
    assert [line.split(" documents")[0] for line in progress] == [
        "Extracted: 1/4",
        "Extracted: 2/4",
        "Extracted: 3/4",
        "Extracted: 4/4",
        "Extracted: 4/4",  # the closing line
    ]
