"""PDF text and metadata with pypdfium2 (PDFium: the engine Chrome uses, fast and robust)."""

from __future__ import annotations

import pypdfium2 as pdfium

from llm_lineage.common.versions import package_version
from llm_lineage.extraction.dates import parse_pdf_date
from llm_lineage.extraction.limits import (
    DEFAULT_LIMITS,
    ReadLimits,
    check_text_length,
    clean_title,
)
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers import PDF_PAGE_SEPARATOR
from llm_lineage.extraction.readers.common import authors_from

PAGE_SEPARATOR = PDF_PAGE_SEPARATOR
#: The Info dictionary entries read; each one alone, so one malformed entry loses only itself.
METADATA_KEYS = ("Title", "Author", "CreationDate", "ModDate")


def library_version() -> str:
    return package_version("pypdfium2")


def _open(data: bytes) -> pdfium.PdfDocument:
    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise DocumentError("corrupt PDF: no %PDF header")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        message = str(exc)
        if "password" in message.lower():
            raise DocumentError("encrypted PDF: a password is required to read it") from exc
        raise DocumentError(f"corrupt PDF: {message}") from exc


def _metadata(document: pdfium.PdfDocument) -> dict[str, str]:
    """The Info entries that PDFium can decode; a title that is not valid UTF-16 (a lone
    surrogate) makes pypdfium2 raise, and must not cost the document its text."""
    found: dict[str, str] = {}
    for key in METADATA_KEYS:
        try:
            value = document.get_metadata_value(key)
        except (UnicodeDecodeError, pdfium.PdfiumError):
            continue
        if value:
            found[key] = value
    return found


def _page_text(document: pdfium.PdfDocument, index: int) -> str:
    """One page's text with ``\\n`` line ends and no leading or trailing blank lines."""
    page = document[index]
    textpage = page.get_textpage()
    try:
        return textpage.get_text_bounded().replace("\r\n", "\n").strip("\n")
    finally:
        textpage.close()
        page.close()


def _pages(document: pdfium.PdfDocument, limits: ReadLimits) -> list[str]:
    """Every page's text; stops at the first page that takes the text past the limit."""
    pages: list[str] = []
    characters = -len(PAGE_SEPARATOR)
    count = len(document)
    for index in range(count):
        pages.append(_page_text(document, index))
        characters += len(PAGE_SEPARATOR) + len(pages[-1])
        if index + 1 < count:
            check_text_length(characters, limits, f" by page {index + 1:,} of {count:,}")
    check_text_length(characters, limits)
    return pages


def read_pdf(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> ReaderOutput:
    document = _open(data)
    try:
        metadata = _metadata(document)
        pages = _pages(document, limits)
        return ReaderOutput(
            text=PAGE_SEPARATOR.join(pages),
            title=clean_title(metadata.get("Title")),
            authors=authors_from([metadata.get("Author")]),
            created=parse_pdf_date(metadata.get("CreationDate")),
            modified=parse_pdf_date(metadata.get("ModDate")),
            pages=len(pages),
        )
    finally:
        document.close()
