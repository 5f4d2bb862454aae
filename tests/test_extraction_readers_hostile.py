"""Bad documents of every format through the engine: each fails alone, with a clear reason,
and the readable companion is still extracted."""

from __future__ import annotations

from pathlib import Path

from fpdf import FPDF

from documents import make_bad_documents
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents


def engine_failures(folder: Path, include: tuple[str, ...] = ("*",)) -> dict[str, str]:
    """Run the engine over ``folder`` (plus one good document) and return reason by path."""
    (folder / "zz-good.txt").write_text("A readable companion document.\n", encoding="utf-8")
    out = folder.parent / "out"
    out.mkdir()
    result = extract_corpus(
        local_documents(folder, include),
        folder.as_uri(),
        out,
        ExtractionSettings(include=include),
    )
    assert result.summary.documents == 1  # the companion, whatever else failed
    return {failure.relative_path: failure.reason for failure in result.failures}


def test_bad_documents_fail_in_the_engine_with_clear_reasons(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    bad = make_bad_documents(folder)
    blank = FPDF()
    blank.add_page()  # a page with no text layer, as a scan would be
    (folder / "scan.pdf").write_bytes(bytes(blank.output()))
    (folder / "letter.rtf").write_text("{\\rtf1 hello}", encoding="ascii")

    reasons = engine_failures(folder)

    assert set(reasons) == {
        bad["corrupt PDF"].name,
        bad["encrypted PDF"].name,
        bad["empty file"].name,
        bad["corrupt DOCX"].name,
        bad["binary content"].name,
        "scan.pdf",
        "letter.rtf",
    }
    assert reasons["corrupt.pdf"].startswith("corrupt PDF: ")
    assert reasons["encrypted.pdf"] == "encrypted PDF: a password is required to read it"
    assert reasons["empty.txt"] == "empty file (0 bytes)"
    assert reasons["not-a-zip.docx"] == "corrupt DOCX: not a ZIP package"
    assert reasons["junk.txt"] == "binary content (NUL bytes), not text"
    assert reasons["scan.pdf"] == ("no extractable text (scanned pages without a text layer?)")
    assert reasons["letter.rtf"] == "unsupported format: no reader for this file extension"


def test_whitespace_only_text_has_no_extractable_text(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    (folder / "blank.md").write_text("---\ntitle: Only metadata\n---\n\n   \n", encoding="utf-8")

    reasons = engine_failures(folder, include=("*.md", "*.txt"))

    assert reasons == {"blank.md": "no extractable text"}
