"""Corpora the tests share: a small mixed one with known authors, and bad documents."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from documents import make_bad_documents, make_docx, make_html, make_markdown, make_pdf

UTC = dt.timezone.utc
#: Authors of the mixed corpus, with the number of documents each wrote.
AUTHORS = {
    "Ada Lovelace": 2,
    "Charles Babbage": 1,
    "Grace Hopper": 1,
    "Alan Turing": 1,
    "Edsger Dijkstra": 1,
}
LATIN1_TEXT = "Café crème brûlée, naïve façade: déjà vu à la française.\n"


def make_mixed_corpus(root: Path) -> Path:
    """Five good documents, one of each format (text in Latin-1), in two folders."""
    (root / "reports").mkdir(parents=True, exist_ok=True)
    make_pdf(
        root / "reports" / "engine.pdf",
        ["The analytical engine weaves algebraic patterns.", "Second page of notes."],
        title="Notes on the Engine",
        author="Ada Lovelace; Charles Babbage",
        created=dt.datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC),
    )
    make_docx(
        root / "reports" / "compilers.docx",
        ["Compilers translate languages.", "Debugging began with a moth."],
        title="On Compilers",
        author="Grace Hopper",
        created=dt.datetime(2020, 1, 2, tzinfo=UTC),
        modified=dt.datetime(2020, 6, 1, tzinfo=UTC),
    )
    make_html(
        root / "computable.html",
        "<h1>Computable numbers</h1><p>A <b>machine</b> reads a tape.</p>",
        title="Computable Numbers",
        author="Alan Turing",
        published="2019-05-06T07:08:09Z",
    )
    make_markdown(
        root / "structured.md",
        "# Structured programming\n\nGo to statements considered *harmful*.\n",
        title="Structured Programming",
        authors=["Edsger Dijkstra", "Ada Lovelace"],
        date="2018-01-01",
    )
    (root / "notes-latin1.txt").write_bytes(LATIN1_TEXT.encode("latin-1"))
    return root


def make_corpus_with_bad(root: Path) -> tuple[Path, dict[str, Path]]:
    """The mixed corpus plus an ``unreadable/`` folder, which sorts after every good document."""
    make_mixed_corpus(root)
    return root, make_bad_documents(root / "unreadable")
