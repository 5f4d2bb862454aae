"""Format readers: a document's bytes and limits in, ``ReaderOutput`` out; each names its library.

The registry imports no reader: a ``Reader`` names its module and function and imports them on
the first ``read``, so a reader process imports only the libraries of the formats it is given,
and lineage (which needs each reader's library, version and parameters) imports none of them
when a DAG is parsed. Each reader declares here the parameters that lineage records for it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from llm_lineage import __version__
from llm_lineage.common.versions import package_version
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import ReaderOutput

#: Elements whose content the HTML reader drops (not visible text).
INVISIBLE_HTML_TAGS = ("script", "style", "noscript", "template", "svg", "head")
#: What the PDF reader puts between two pages' text.
PDF_PAGE_SEPARATOR = "\n\n"
#: What the DOCX reader puts between two cells of a table row.
DOCX_CELL_SEPARATOR = "\t"
#: Our own readers (plain text, Markdown) are versioned with this package.
OWN_LIBRARY = "llm-lineage-text"


@dataclass(frozen=True)
class Reader:
    """A format's reader: ``module.function(data, limits)``, the library that does the work, and
    the parameters that say how (for lineage).

    ``read(data, limits)`` raises DocumentError, naming the limit, for a document past one.
    """

    module: str
    function: str
    library: str
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        """The library's installed version, from its metadata (the library is not imported)."""
        return __version__ if self.library == OWN_LIBRARY else package_version(self.library)

    @property
    def read(self) -> Callable[[bytes, ReadLimits], ReaderOutput]:
        """The reader function; its module (and library) is imported on first use."""
        function: Callable[[bytes, ReadLimits], ReaderOutput] = getattr(
            import_module(f"{__name__}.{self.module}"), self.function
        )
        return function

    @property
    def name(self) -> str:
        return f"{self.library}=={self.version}"


READERS: dict[str, Reader] = {
    "pdf": Reader(
        "pdf",
        "read_pdf",
        "pypdfium2",
        {"text": "PdfTextPage.get_text_bounded", "page_separator": PDF_PAGE_SEPARATOR},
    ),
    "docx": Reader(
        "docx",
        "read_docx",
        "python-docx",
        {
            "content": "paragraphs and tables in body order",
            "cell_separator": DOCX_CELL_SEPARATOR,
        },
    ),
    "html": Reader("html", "read_html", "selectolax", {"removed": list(INVISIBLE_HTML_TAGS)}),
    "markdown": Reader(
        "text",
        "read_markdown",
        OWN_LIBRARY,
        {"front_matter": "removed, read as metadata", "markup": "kept"},
    ),
    "text": Reader(
        "text",
        "read_plain_text",
        OWN_LIBRARY,
        {"decoding": "utf-8, then detected encoding (recorded)"},
    ),
}


def reader_for(format_name: str) -> Reader | None:
    return READERS.get(format_name)


def load_readers(formats: Any) -> None:
    """Import the readers of ``formats`` and look their versions up now (a reader process,
    before its memory limit and its first document's time limit)."""
    for name in formats:
        reader = READERS.get(name)
        if reader is not None:
            reader.read  # noqa: B018  (the import is the point)
            reader.version  # noqa: B018
