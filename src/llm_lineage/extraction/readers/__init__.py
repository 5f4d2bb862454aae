"""Format readers: a document's bytes and limits in, ``ReaderOutput`` out; each names its library."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import ReaderOutput
from llm_lineage.extraction.readers import docx, html, pdf, text


@dataclass(frozen=True)
class Reader:
    """A reader function with the library that does the work, for lineage.

    ``read(data, limits)`` raises DocumentError, naming the limit, for a document past one.
    """

    read: Callable[[bytes, ReadLimits], ReaderOutput]
    library: str
    version: str

    @property
    def name(self) -> str:
        return f"{self.library}=={self.version}"


READERS: dict[str, Reader] = {
    "pdf": Reader(pdf.read_pdf, "pypdfium2", pdf.library_version()),
    "docx": Reader(docx.read_docx, "python-docx", docx.library_version()),
    "html": Reader(html.read_html, "selectolax", html.library_version()),
    "markdown": Reader(text.read_markdown, "llm-lineage-text", text.library_version()),
    "text": Reader(text.read_plain_text, "llm-lineage-text", text.library_version()),
}


def reader_for(format_name: str) -> Reader | None:
    return READERS.get(format_name)
