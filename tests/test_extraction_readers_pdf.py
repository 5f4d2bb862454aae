"""The PDF reader (pypdfium2) on real PDFs made by fpdf2: text, metadata, damage and limits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fpdf import FPDF

from documents import make_bad_documents, make_pdf
from llm_lineage.extraction import DocumentError
from llm_lineage.extraction.limits import MAX_TITLE_CHARACTERS, ReadLimits
from llm_lineage.extraction.readers.pdf import read_pdf
from readers_fixtures import CLEAN_TITLE, HOSTILE_AUTHOR, HOSTILE_TITLE, UTC, read, refusal

# --- good documents ----------------------------------------------------------------------


def test_pdf_text_of_every_page_and_info_metadata(tmp_path: Path) -> None:
    created = dt.datetime(2024, 1, 31, 12, 30, 5, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    path = make_pdf(
        tmp_path / "report.pdf",
        ["First page about rivers.", "Second page about lakes.", "Third page about seas."],
        title="Water Report",
        author="Ada Lovelace; Alan Turing",
        created=created,
    )

    output = read(path)

    assert output.text == (
        "First page about rivers.\n\nSecond page about lakes.\n\nThird page about seas."
    )
    assert output.pages == 3
    assert output.title == "Water Report"
    assert output.authors == ("Ada Lovelace", "Alan Turing")
    assert output.created == dt.datetime(2024, 1, 31, 11, 30, 5, tzinfo=UTC)
    assert output.created.utcoffset() == dt.timedelta(0)
    assert output.encoding is None
    assert output.encoding_fallback is False


def test_pdf_without_title_or_author(tmp_path: Path) -> None:
    output = read(make_pdf(tmp_path / "plain.pdf", ["Only text."]))

    assert output.text == "Only text."
    assert output.title is None
    assert output.authors == ()
    assert output.pages == 1


def test_pdf_multiline_page_uses_newlines_not_crlf(tmp_path: Path) -> None:
    output = read(make_pdf(tmp_path / "lines.pdf", ["line one\nline two"]))

    assert output.text == "line one\nline two"


# --- bad documents -----------------------------------------------------------------------


def test_corrupt_pdf_reason(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["corrupt PDF"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason.startswith("corrupt PDF: ")
    assert str(caught.value) == caught.value.reason


def test_pdf_without_header_reason(tmp_path: Path) -> None:
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"<html>not a pdf</html>")

    with pytest.raises(DocumentError, match=r"^corrupt PDF: no %PDF header$"):
        read(path)


def test_encrypted_pdf_reason_mentions_password(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["encrypted PDF"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == "encrypted PDF: a password is required to read it"


# --- hostile metadata and the text limit -------------------------------------------------


def pdf_bytes(pages: list[str], title: str | None = None, author: str | None = None) -> bytes:
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if title is not None:
        pdf.set_title(title)
    if author is not None:
        pdf.set_author(author)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def test_pdf_hostile_title_and_author_are_cleaned() -> None:
    data = pdf_bytes(["Body."], title=HOSTILE_TITLE, author=HOSTILE_AUTHOR)
    document = pdfium.PdfDocument(data)
    try:  # PDFium hands over every character: the reader is what cleans them
        assert document.get_metadata_dict()["Title"] == HOSTILE_TITLE
    finally:
        document.close()

    output = read_pdf(data)

    assert output.title == CLEAN_TITLE
    assert output.authors == ("Alice Mallory", "Bob")
    assert output.text == "Body."


def test_pdf_title_that_is_not_utf16_costs_only_the_title() -> None:
    data = pdf_bytes(["Body."], title="X\u4e00Y", author="Ada")
    data = data.replace(b"<feff00584e000059>", b"<feff0058d8000059>")  # a lone surrogate

    output = read_pdf(data)

    assert (output.title, output.authors, output.text) == (None, ("Ada",), "Body.")


def test_pdf_long_title_is_cut() -> None:
    output = read_pdf(pdf_bytes(["Body."], title="t" * 10_000))

    assert output.title == "t" * (MAX_TITLE_CHARACTERS - 1) + "\u2026"


def test_pdf_text_over_the_limit_stops_at_the_page_that_passes_it() -> None:
    data = pdf_bytes(["a" * 40] * 5)

    reason = refusal(lambda: read_pdf(data, ReadLimits(max_characters=100)))

    assert reason == "text has 124 characters by page 3 of 5, over max_document_characters=100"
    assert read_pdf(data, ReadLimits(max_characters=208)).pages == 5
