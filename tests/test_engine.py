"""The extraction engine over real folders: results, failures, Parquet outputs, selection, progress."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from documents import make_bad_documents, make_docx, make_html, make_markdown, make_pdf
from llm_lineage.common.progress import ProgressReporter
from llm_lineage.extraction import (
    DEFAULT_INCLUDE,
    MANIFEST_FILE,
    TEXT_FILE,
    ExtractionFailed,
    ExtractionResult,
    ExtractionSettings,
    extract_corpus,
    is_selected,
    local_documents,
)
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA

UTC = dt.timezone.utc
#: Modification time given to files without date metadata, so that summaries are exact.
FILE_TIME = dt.datetime(2021, 6, 1, tzinfo=UTC)

GOOD = ["latin.txt", "memo.docx", "notes.md", "plain.txt", "report.pdf", "web/article.html"]
BAD = {
    "bad/corrupt.pdf": "corrupt PDF: ",
    "bad/empty.txt": "empty file (0 bytes)",
    "bad/encrypted.pdf": "encrypted PDF: a password is required to read it",
    "bad/junk.txt": "binary content (NUL bytes), not text",
    "bad/not-a-zip.docx": "corrupt DOCX: not a ZIP package",
}


class ListLogger:
    """Collects formatted log lines, as a stdlib logger would format them."""

    def __init__(self) -> None:
        self.infos: list[str] = []
        self.warnings: list[str] = []

    def info(self, msg: Any, *args: Any) -> None:
        self.infos.append(msg % args if args else msg)

    def warning(self, msg: Any, *args: Any) -> None:
        self.warnings.append(msg % args if args else msg)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def set_file_time(path: Path, when: dt.datetime = FILE_TIME) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def make_mixed_corpus(folder: Path) -> Path:
    """Six good documents of five formats, five bad ones under bad/, and files never selected."""
    (folder / "web").mkdir(parents=True)
    make_pdf(
        folder / "report.pdf",
        ["Page one.", "Page two."],
        title="Report",
        author="Ada Lovelace; Alan Turing",
        created=dt.datetime(2024, 1, 31, 12, 0, tzinfo=UTC),
    )
    make_docx(
        folder / "memo.docx",
        ["Memo text."],
        title="Memo",
        author="Ada Lovelace",
        created=dt.datetime(2023, 5, 1, 9, 0, tzinfo=UTC),
        modified=dt.datetime(2023, 6, 1, 9, 0, tzinfo=UTC),
    )
    make_html(
        folder / "web" / "article.html",
        "<p>Article body.</p>",
        title="Article",
        author="Grace Hopper",
        published="2024-03-01T10:00:00+02:00",
    )
    make_markdown(
        folder / "notes.md",
        "# Notes\n\nBody.\n",
        title="Notes",
        authors=["Alan Turing"],
        date="2022-12-25",
    )
    (folder / "plain.txt").write_text("Plain text body.\n", encoding="utf-8")
    (folder / "latin.txt").write_bytes("Café crème brûlée".encode("latin-1"))
    for name in ("plain.txt", "latin.txt"):
        set_file_time(folder / name)
    make_bad_documents(folder / "bad")
    (folder / ".hidden.txt").write_text("hidden file", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "notes.txt").write_text("inside a hidden folder", encoding="utf-8")
    (folder / "letter.rtf").write_text("{\\rtf1 not selected by default}", encoding="ascii")
    return folder


def make_text_corpus(folder: Path, count: int) -> Path:
    folder.mkdir(parents=True)
    for index in range(count):
        path = folder / f"doc-{index:02d}.txt"
        path.write_text(f"Document number {index}.\n", encoding="utf-8")
        set_file_time(path)
    return folder


def run(
    source: Path, output: Path, logger: ListLogger | None = None, **settings: Any
) -> ExtractionResult:
    config = ExtractionSettings(**settings)
    output.mkdir(parents=True, exist_ok=True)
    documents = local_documents(source, config.include, config.exclude)
    return extract_corpus(documents, source.as_uri(), output, config, logger or ListLogger())


@pytest.fixture
def mixed(tmp_path: Path) -> Path:
    return make_mixed_corpus(tmp_path / "corpus")


# --- results and failures ----------------------------------------------------------------


def test_mixed_folder_counts_failures_and_extracts_the_rest(mixed: Path, tmp_path: Path) -> None:
    logger = ListLogger()
    result = run(mixed, tmp_path / "out", logger)

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
    assert logger.infos[0].startswith("Parsing in ")
    assert len(logger.infos) == 2
    assert logger.infos[1].startswith("Extracted: 11/11 documents (100.0%), ")


def test_records_carry_metadata_and_provenance(mixed: Path, tmp_path: Path) -> None:
    result = run(mixed, tmp_path / "out")

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
        run(source, tmp_path / "out", on_error="fail")

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
        run(source, tmp_path / "out")

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
        run(source, tmp_path / "out")

    assert str(caught.value) == (
        f"no documents in {source.as_uri()} match include={list(DEFAULT_INCLUDE)} exclude=[]"
    )
    assert caught.value.result.documents_total == 0


def test_max_document_bytes_gives_file_too_large(tmp_path: Path) -> None:
    source = tmp_path / "corpus"
    source.mkdir()
    (source / "big.txt").write_text("x" * 200, encoding="utf-8")
    (source / "small.txt").write_text("0123456789", encoding="utf-8")

    result = run(source, tmp_path / "out", max_document_bytes=100)

    assert [(f.relative_path, f.reason) for f in result.failures] == [
        ("big.txt", "file too large: 200 bytes, over max_document_bytes=100")
    ]
    assert result.summary.documents == 1
    assert result.bytes_read == 10  # the big file is never read


# --- Parquet outputs ---------------------------------------------------------------------


def test_text_and_manifest_parquet_schemas_and_rows(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(mixed, out)

    text = pq.read_table(out / TEXT_FILE)
    manifest = pq.read_table(out / MANIFEST_FILE)
    assert text.schema.equals(TEXT_SCHEMA)
    assert manifest.schema.equals(MANIFEST_SCHEMA)
    for written, expected in ((text.schema, TEXT_SCHEMA), (manifest.schema, MANIFEST_SCHEMA)):
        for field in expected:
            assert written.field(field.name).metadata == field.metadata
    assert "text" not in manifest.column_names

    rows = {row["relative_path"]: row for row in text.to_pylist()}
    assert sorted(rows) == GOOD
    assert rows["plain.txt"]["text"] == "Plain text body.\n"
    assert rows["latin.txt"]["text"] == "Café crème brûlée"
    assert rows["report.pdf"]["text"] == "Page one.\n\nPage two."
    assert rows["report.pdf"]["authors"] == ["Ada Lovelace", "Alan Turing"]
    assert rows["report.pdf"]["created"] == dt.datetime(2024, 1, 31, 12, 0, tzinfo=UTC)
    assert rows["web/article.html"]["source_uri"] == (mixed / "web" / "article.html").as_uri()

    entries = {row["relative_path"]: row for row in manifest.to_pylist()}
    assert sorted(entries) == sorted(GOOD + list(BAD))
    for path in GOOD:
        assert entries[path]["status"] == "extracted"
        assert entries[path]["error"] is None
        assert entries[path]["sha256"] == rows[path]["sha256"]
    for path, reason in BAD.items():
        assert entries[path]["status"] == "failed"
        assert entries[path]["error"].startswith(reason)
        assert entries[path]["characters"] == 0
        assert entries[path]["authors"] == []
    assert entries["bad/not-a-zip.docx"]["format"] == "docx"


def test_row_groups_follow_row_group_rows(tmp_path: Path) -> None:
    source = make_text_corpus(tmp_path / "corpus", 10)
    out = tmp_path / "out"

    result = run(source, out, row_group_rows=3)

    for name in (TEXT_FILE, MANIFEST_FILE):
        metadata = pq.ParquetFile(out / name).metadata
        assert metadata.num_row_groups == 4
        assert metadata.num_rows == 10
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert sizes == [3, 3, 3, 1]
    assert result.text_output is not None and result.text_output.rows == 10


def test_rerun_is_stable_and_a_changed_document_changes_the_hashes(
    mixed: Path, tmp_path: Path
) -> None:
    first = run(mixed, tmp_path / "out1")
    second = run(mixed, tmp_path / "out2")
    assert first.text_output is not None and first.manifest_output is not None
    assert second.text_output is not None and second.manifest_output is not None

    assert second.text_output.content_hash == first.text_output.content_hash
    assert second.manifest_output.content_hash == first.manifest_output.content_hash
    assert second.summary.collection_version == first.summary.collection_version
    assert len(first.summary.collection_version) == 64

    (mixed / "plain.txt").write_text("Plain text body, edited.\n", encoding="utf-8")
    set_file_time(mixed / "plain.txt")  # same time: the content alone must tell
    third = run(mixed, tmp_path / "out3")
    assert third.text_output is not None and third.manifest_output is not None

    assert third.text_output.content_hash != first.text_output.content_hash
    assert third.manifest_output.content_hash != first.manifest_output.content_hash
    assert third.summary.collection_version != first.summary.collection_version


def test_collection_version_changes_when_a_failing_document_changes(
    mixed: Path, tmp_path: Path
) -> None:
    first = run(mixed, tmp_path / "out1")
    (mixed / "bad" / "junk.txt").write_bytes(b"\x00" * 5000)

    second = run(mixed, tmp_path / "out2")

    assert second.summary.collection_version != first.summary.collection_version


# --- summary -----------------------------------------------------------------------------


def test_summary_aggregates(mixed: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    summary = run(mixed, out).summary

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

    summary = run(source, tmp_path / "out").summary

    assert summary.documents == 12
    assert [record.relative_path for record in summary.sample] == [
        f"doc-{index:02d}.txt" for index in range(10)
    ]


# --- selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "include", "exclude", "selected"),
    [
        ("report.pdf", ["*.pdf"], [], True),
        ("REPORT.PDF", ["*.pdf"], [], True),
        ("docs/deep/a.pdf", ["*.pdf"], [], True),
        ("report.pdf.bak", ["*.pdf"], [], False),
        ("notes.md", ["*.pdf"], [], False),
        ("docs/a.pdf", ["docs/*.pdf"], [], True),
        ("Docs/A.PDF", ["docs/*.pdf"], [], True),
        ("other/a.pdf", ["docs/*.pdf"], [], False),
        ("a.pdf", ["docs/*.pdf"], [], False),
        ("docs/draft-1.pdf", ["*.pdf"], ["draft-*"], False),
        ("docs/DRAFT-1.pdf", ["*.pdf"], ["draft-*"], False),
        ("docs/final.pdf", ["*.pdf"], ["draft-*"], True),
        ("archive/old.pdf", ["*.pdf"], ["archive/*"], False),
        ("docs/archive/old.pdf", ["*.pdf"], ["archive/*"], True),
        ("a.md", ["*.pdf", "*.md"], [], True),
        (".hidden.pdf", ["*.pdf"], [], False),
        ("docs/.git/a.pdf", ["*"], [], False),
        (".cache/a.pdf", ["*.pdf"], [], False),
    ],
)
def test_is_selected(path: str, include: list[str], exclude: list[str], selected: bool) -> None:
    assert is_selected(path, include, exclude) is selected


def test_local_documents_sorted_relative_and_hidden_skipped(mixed: Path) -> None:
    documents = local_documents(mixed, DEFAULT_INCLUDE)

    assert [doc.relative_path for doc in documents] == sorted(GOOD + list(BAD))
    memo = next(doc for doc in documents if doc.relative_path == "memo.docx")
    assert memo.uri == (mixed / "memo.docx").as_uri()
    assert memo.name == "memo.docx"
    assert memo.size == (mixed / "memo.docx").stat().st_size
    assert memo.read(10**9) == (mixed / "memo.docx").read_bytes()


def test_local_documents_include_exclude_with_paths(mixed: Path) -> None:
    documents = local_documents(mixed, ["*.txt", "web/*"], ["bad/*"])

    assert [doc.relative_path for doc in documents] == [
        "latin.txt",
        "plain.txt",
        "web/article.html",
    ]


def test_local_documents_single_file_root(mixed: Path) -> None:
    documents = local_documents(mixed / "plain.txt", ["*.txt"])

    assert [(doc.relative_path, doc.uri) for doc in documents] == [
        ("plain.txt", (mixed / "plain.txt").as_uri())
    ]


# --- progress ----------------------------------------------------------------------------


def test_progress_logs_at_the_interval_with_rate_and_time_left() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 100, "documents", logger, interval=10, clock=clock)

    for second in range(1, 26):
        clock.now = float(second)
        progress.advance()
    progress.finish()

    assert logger.infos == [
        "Extracted: 10/100 documents (10.0%), 1.0 documents/s, elapsed 10s, time left 1m30s",
        "Extracted: 20/100 documents (20.0%), 1.0 documents/s, elapsed 20s, time left 1m20s",
        "Extracted: 25/100 documents (25.0%), 1.0 documents/s, elapsed 25s, time left 1m15s",
    ]


def test_progress_interval_counts_from_the_last_line_not_a_grid() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Read", 1000, "files", logger, interval=10, clock=clock)

    logged_at = []
    for now in (0.5, 3.0, 9.99, 11.0, 15.0, 20.9, 21.0, 29.0, 40.0):
        clock.now = now
        before = len(logger.infos)
        progress.advance(10)
        if len(logger.infos) > before:
            logged_at.append(now)

    assert logged_at == [11.0, 21.0, 40.0]
    assert logger.infos[0] == (
        "Read: 40/1000 files (4.0%), 3.6 files/s, elapsed 11s, time left 4m24s"
    )


def test_progress_many_fast_items_log_nothing_until_the_interval() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 10_000, "documents", logger, interval=10, clock=clock)

    for step in range(1000):
        clock.now = step * 0.009  # 1000 items in 9 seconds
        progress.advance()
    assert logger.infos == []

    clock.now = 10.0
    progress.advance()
    assert logger.infos == [
        "Extracted: 1001/10000 documents (10.0%), 100.1 documents/s, elapsed 10s, time left 1m30s"
    ]


def test_progress_time_left_in_hours() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 10_000, "documents", logger, interval=5, clock=clock)

    clock.now = 10.0
    progress.advance(10)

    assert logger.infos == [
        "Extracted: 10/10000 documents (0.1%), 1.0 documents/s, elapsed 10s, time left 2h46m"
    ]


def test_engine_progress_interval_comes_from_settings(tmp_path: Path) -> None:
    source = make_text_corpus(tmp_path / "corpus", 4)
    logger = ListLogger()

    run(source, tmp_path / "out", logger, progress_interval=1e-9)

    progress = [line for line in logger.infos if line.startswith("Extracted")]
    assert [line.split(" documents")[0] for line in progress] == [
        "Extracted: 1/4",
        "Extracted: 2/4",
        "Extracted: 3/4",
        "Extracted: 4/4",
        "Extracted: 4/4",  # the closing line
    ]
