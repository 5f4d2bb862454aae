"""Reader processes (extraction/pool.py, extraction/worker.py): a document past its time or
memory, or one that kills its reader, fails alone.

Each test runs the real engine with real reader processes on real files the test builds.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pypdfium2 as pdfium
import pytest

from corpora import make_mixed_corpus
from documents import make_pdf
from extraction_fixtures import ListLogger, make_corpus_of_every_kind
from llm_lineage.extraction import ExtractionSettings, engine, extract_corpus, local_documents, pool
from llm_lineage.extraction.encode import DocumentInfo, Encoded
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import ExtractionResult

GOOD = 5  # documents in the mixed corpus


def _extract(root: Path, out: Path, **settings: object) -> ExtractionResult:
    out.mkdir(parents=True, exist_ok=True)
    config = ExtractionSettings(include=["*"], **settings)  # type: ignore[arg-type]
    documents = local_documents(root, config.include, config.exclude)
    return extract_corpus(documents, root.as_uri(), out, config)


def _failures(result: ExtractionResult) -> dict[str, tuple[str, str]]:
    return {f.relative_path: (f.error_type, f.reason) for f in result.failures}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    return make_mixed_corpus(tmp_path / "corpus")


def _long_pdf(path: Path, pages: int) -> Path:
    """A PDF of ``pages`` full pages: one page made by fpdf2, copied by PDFium (fast to build)."""
    page = make_pdf(path, ["Page of a very long manual, set in dense type. " * 60])
    source = pdfium.PdfDocument(page.read_bytes())
    document = pdfium.PdfDocument.new()
    document.import_pages(source, [0] * pages)
    document.save(str(path))
    return path


def test_a_document_past_its_time_fails_alone_and_the_run_goes_on(
    corpus: Path, tmp_path: Path
) -> None:
    _long_pdf(corpus / "aaa-long.pdf", 1500)  # sorts first: the others come after it

    result = _extract(corpus, tmp_path / "out", workers=2, max_document_seconds=0.3)

    error_type, reason = _failures(result)["aaa-long.pdf"]
    assert error_type == "DocumentTimeout"
    assert "max_document_seconds=0.3" in reason
    assert result.summary.documents == GOOD
    assert result.readers_replaced >= 1
    table = pq.read_table(tmp_path / "out" / "text.parquet")
    assert "aaa-long.pdf" not in table.column("relative_path").to_pylist()
    assert table.num_rows == GOOD


def test_a_document_past_its_memory_fails_alone(corpus: Path, tmp_path: Path) -> None:
    # 48 MB of text: decoding and normalizing it needs several copies, far over 64 MiB.
    (corpus / "huge.txt").write_bytes(b"all work and no play makes a dull model\n" * 1_200_000)

    result = _extract(
        corpus,
        tmp_path / "out",
        workers=1,
        max_document_memory_bytes=64 * 1024**2,
        max_document_characters=10**9,
    )

    error_type, reason = _failures(result)["huge.txt"]
    assert error_type in {"DocumentMemoryLimit", "ReaderCrashed"}, reason
    assert "max_document_memory_bytes=67,108,864" in reason
    assert result.summary.documents == GOOD
    # the engine's own measurement: no reader process grew past its limit plus its rest size
    assert result.peak_worker_memory_bytes is not None
    assert result.peak_worker_memory_bytes < 64 * 1024**2 + 400 * 1024**2


def test_a_reader_killed_mid_document_is_replaced(corpus: Path, tmp_path: Path) -> None:
    _long_pdf(corpus / "aaa-long.pdf", 6000)
    killed: list[int] = []

    def kill_the_busy_reader() -> None:
        """Stand-in for the kernel's OOM killer: SIGKILL the reader parsing the long PDF."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for pid in _reader_pids():
                if _cpu_ticks(pid) > 200:  # 2 s of CPU: past its start-up, parsing the long PDF
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=kill_the_busy_reader)
    thread.start()
    result = _extract(corpus, tmp_path / "out", workers=1, max_document_seconds=120)
    thread.join()

    assert killed, "no busy reader process was found"
    error_type, reason = _failures(result)["aaa-long.pdf"]
    assert error_type == "ReaderCrashed"
    assert "killed by SIGKILL" in reason
    assert result.summary.documents == GOOD
    assert not [pid for pid in _reader_pids() if pid in killed]


def test_reader_processes_give_the_same_outputs_as_in_process(corpus: Path, tmp_path: Path) -> None:
    pooled = _extract(corpus, tmp_path / "pooled", workers=2)
    inline = _extract(corpus, tmp_path / "inline", workers=0)

    assert pooled.text_output is not None and inline.text_output is not None
    assert pooled.text_output.content_hash == inline.text_output.content_hash
    assert pooled.summary.collection_version == inline.summary.collection_version
    assert pq.read_table(tmp_path / "pooled" / "text.parquet").column(
        "relative_path"
    ).to_pylist() == sorted(p.relative_to(corpus).as_posix() for p in corpus.rglob("*.*"))


def test_no_reader_process_outlives_the_run(corpus: Path, tmp_path: Path) -> None:
    _extract(corpus, tmp_path / "out", workers=2)
    assert _reader_pids() == []


def _reader_pids() -> list[int]:
    """Live reader processes that are children of this test process."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
            status = (entry / "status").read_text()
        except OSError:
            continue
        parent = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("PPid:")), ""
        )
        state = next(
            (line.split()[1] for line in status.splitlines() if line.startswith("State:")), ""
        )
        if (
            b"llm_lineage.extraction.worker" in command
            and parent == str(os.getpid())
            and state != "Z"
        ):
            pids.append(int(entry.name))
    return pids


def _cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks


def test_reader_processes_write_the_same_bytes_and_versions_as_in_process(
    tmp_path: Path,
) -> None:
    """Every kind of document and failure (refused, unsupported, empty, corrupt), more documents
    than one batch or one reader holds, and unread files among them: the collection's version
    folds each document in document order whichever reader answered first."""
    corpus = make_corpus_of_every_kind(tmp_path / "corpus")
    for copy in range(3):
        for path in sorted(corpus.glob("*.*")):
            if path.is_file() and not path.is_symlink():
                (corpus / f"copy{copy}-{path.name}").write_bytes(path.read_bytes())
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "notes.xyz").write_bytes(b"no reader")
    runs = {
        workers: _extract(corpus, tmp_path / f"out{workers}", workers=workers, row_group_rows=7)
        for workers in (0, 1, 2)
    }
    assert runs[0].failure_count > 3 and runs[0].summary.documents > pool.DEPTH * 2
    for workers in (1, 2):
        assert runs[workers].summary.collection_version == runs[0].summary.collection_version
        for name in ("text.parquet", "manifest.parquet"):
            written = (tmp_path / f"out{workers}" / name).read_bytes()
            assert written == (tmp_path / "out0" / name).read_bytes()


def test_a_small_corpus_is_parsed_in_the_task_process_by_default(
    corpus: Path, tmp_path: Path
) -> None:
    logger = ListLogger()
    config = ExtractionSettings(include=["*"])
    documents = local_documents(corpus, config.include)
    assert engine.is_small(documents)
    (tmp_path / "out").mkdir()
    result = extract_corpus(documents, corpus.as_uri(), tmp_path / "out", config, logger)
    assert result.summary.documents == GOOD
    assert any("in this process (a small corpus)" in line for line in logger.infos)
    assert _reader_pids() == []
    many = [*documents] * (engine.SMALL_CORPUS_DOCUMENTS // len(documents) + 1)
    assert not engine.is_small(many)
    big = corpus / "big.txt"
    big.write_text("word " * (engine.SMALL_CORPUS_BYTES // 5 + 1))
    assert not engine.is_small(local_documents(corpus, config.include))


def _taken_before_first_answer(
    long_pdf: Path, small: int, monkeypatch: pytest.MonkeyPatch, **limits: int
) -> tuple[int, list[str]]:
    """Feed a long PDF, then ``small`` short text documents, to two readers: how many documents
    the pool had taken when it handed back the first (the long one), and the texts in order."""
    for name, value in limits.items():
        monkeypatch.setattr(pool, name, value)
    taken = 0

    def jobs() -> Iterator[pool.ParseJob]:
        nonlocal taken
        documents = [("long.pdf", "pdf", long_pdf.read_bytes())] + [
            (f"note{i:04d}.txt", "text", f"note number {i}\n".encode()) for i in range(small)
        ]
        for name, fmt, data in documents:
            taken += 1
            info = DocumentInfo(name, f"file:///{name}", name, None, fmt, "text/plain")
            yield pool.ParseJob(name, info, data)

    readers = pool.ReaderPool(2, ReadLimits(), 120.0, 2**30)
    readers.load(["pdf", "text"])
    first: int | None = None
    order = []
    try:
        for job, outcome in readers.parse(jobs()):
            first = taken if first is None else first
            assert isinstance(outcome, Encoded), outcome
            order.append(job.ref)
    finally:
        readers.close()
    assert first is not None
    return first, order


def test_a_long_document_holds_up_only_its_own_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one reader parses a long document, the other goes on with the many documents
    behind it (far past what the readers hold), and the answers still come in document order.
    With the bound on parsed text waiting behind it at one byte, the pool stops taking."""
    long_pdf = _long_pdf(tmp_path / "long.pdf", 3000)
    small = 300
    first, order = _taken_before_first_answer(long_pdf, small, monkeypatch)
    assert first == small + 1 > 2 * (2 * 2 * pool.DEPTH + 2)
    assert order == ["long.pdf"] + [f"note{i:04d}.txt" for i in range(small)]

    first, order = _taken_before_first_answer(long_pdf, small, monkeypatch, WAITING_BYTES=1)
    assert first <= 2 * (2 * 2 * pool.DEPTH + 2)
    assert len(order) == small + 1
