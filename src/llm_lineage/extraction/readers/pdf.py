"""PDF text and metadata with pypdfium2 (PDFium: the engine Chrome uses, fast and robust)."""

from __future__ import annotations

import pypdfium2 as pdfium

from llm_lineage.extraction.dates import parse_pdf_date
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers.common import split_authors
from llm_lineage.versions import package_version


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


def read_pdf(data: bytes) -> ReaderOutput:
    document = _open(data)
    try:
        metadata = document.get_metadata_dict(skip_empty=True)
        pages: list[str] = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            try:
                pages.append(textpage.get_text_bounded())
            finally:
                textpage.close()
                page.close()
        return ReaderOutput(
            text="\n\n".join(part.strip("\n") for part in pages).replace("\r\n", "\n"),
            title=metadata.get("Title") or None,
            authors=split_authors(metadata.get("Author")),
            created=parse_pdf_date(metadata.get("CreationDate")),
            modified=parse_pdf_date(metadata.get("ModDate")),
            pages=len(pages),
        )
    finally:
        document.close()
