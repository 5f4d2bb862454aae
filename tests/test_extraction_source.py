"""Selecting and listing documents on local disk (extraction/source.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from extraction_fixtures import BAD, GOOD
from llm_lineage.extraction import DEFAULT_INCLUDE, is_selected, local_documents


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
