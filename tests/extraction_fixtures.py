"""Helpers shared by the extraction engine tests: corpora with known outcomes, a logger, a run.

``mixed`` is a fixture, visible to every test module (``tests/conftest.py`` loads this module
with ``pytest_plugins``).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from documents import make_bad_documents, make_docx, make_html, make_markdown, make_pdf
from llm_lineage.extraction import (
    ExtractionResult,
    ExtractionSettings,
    extract_corpus,
    local_documents,
)

UTC = dt.timezone.utc
#: Modification time given to files without date metadata, so that summaries are exact.
FILE_TIME = dt.datetime(2021, 6, 1, tzinfo=UTC)

#: The documents of ``make_corpus_of_every_kind`` that extract, by path.
GOOD = ["latin.txt", "memo.docx", "notes.md", "plain.txt", "report.pdf", "web/article.html"]
#: Those that fail, with the start of the reason each one gives.
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


def set_file_time(path: Path, when: dt.datetime = FILE_TIME) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def make_corpus_of_every_kind(folder: Path) -> Path:
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
    """``count`` one-line text files, ``doc-00.txt`` on, all with the time FILE_TIME."""
    folder.mkdir(parents=True)
    for index in range(count):
        path = folder / f"doc-{index:02d}.txt"
        path.write_text(f"Document number {index}.\n", encoding="utf-8")
        set_file_time(path)
    return folder


def extract_folder(
    source: Path, output: Path, logger: ListLogger | None = None, **settings: Any
) -> ExtractionResult:
    """List ``source`` as the hook would on local disk, then run the engine into ``output``."""
    config = ExtractionSettings(**settings)
    output.mkdir(parents=True, exist_ok=True)
    documents = local_documents(source, config.include, config.exclude)
    return extract_corpus(documents, source.as_uri(), output, config, logger or ListLogger())


@pytest.fixture(name="mixed")
def mixed_fixture(tmp_path: Path) -> Path:
    """A fresh ``make_corpus_of_every_kind`` folder for each test."""
    return make_corpus_of_every_kind(tmp_path / "corpus")
