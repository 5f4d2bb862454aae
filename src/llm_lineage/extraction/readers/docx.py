"""DOCX text (paragraphs and tables, in body order) and core properties with python-docx.

A DOCX is a ZIP package: a few hundred kilobytes can inflate to gigabytes of XML (a zip bomb),
so the package is checked (``package.check_package``) against ``max_expanded_bytes`` before
python-docx inflates or parses any part.

Text is taken from python-docx's element tree with the same rules as ``Paragraph.text`` and
``_Row.cells`` (python-docx 1.2), but in one pass: python-docx compiles an XPath query for
every paragraph and run (about 50 microseconds a paragraph, 80 s for a 64 MiB zip bomb) and
finds the cell above a vertically merged one by searching the rows before it (quadratic).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator

import docx
from docx.document import Document as DocxDocument
from docx.exceptions import InvalidXmlError
from docx.opc.exceptions import PackageNotFoundError
from docx.oxml.ns import qn
from lxml import etree

from llm_lineage.common.versions import package_version
from llm_lineage.extraction.dates import to_utc
from llm_lineage.extraction.limits import (
    DEFAULT_LIMITS,
    ReadLimits,
    check_text_length,
    clean_title,
)
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers.common import authors_from
from llm_lineage.extraction.readers.package import check_package

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_R, _HYPERLINK = qn("w:r"), qn("w:hyperlink")
#: Run children that carry text; python-docx's element classes say what each one reads as
#: (``w:t`` its text, ``w:tab`` a tab, ``w:br`` a newline or nothing, ...).
_RUN_CONTENT = frozenset(
    qn(tag) for tag in ("w:br", "w:cr", "w:noBreakHyphen", "w:ptab", "w:t", "w:tab")
)


def library_version() -> str:
    return package_version("python-docx")


def _open(data: bytes, limits: ReadLimits) -> DocxDocument:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("corrupt DOCX: not a ZIP package")
    check_package(data, limits, "DOCX")
    try:
        return docx.Document(io.BytesIO(data))
    except (
        PackageNotFoundError,
        KeyError,
        ValueError,
        EOFError,
        RuntimeError,  # zipfile: an encrypted part
        zipfile.BadZipFile,
        zlib.error,
        etree.XMLSyntaxError,
    ) as exc:
        raise DocumentError(f"corrupt DOCX: {exc}") from exc


def _run_text(run: etree._Element) -> str:
    return "".join(str(child) for child in run if child.tag in _RUN_CONTENT)


def _paragraph_text(paragraph: etree._Element) -> str:
    """``Paragraph.text``: the runs and hyperlinked runs directly in the paragraph."""
    parts: list[str] = []
    for child in paragraph:
        if child.tag == _R:
            parts.append(_run_text(child))
        elif child.tag == _HYPERLINK:
            parts.extend(_run_text(run) for run in child if run.tag == _R)
    return "".join(parts)


def _cell_text(cell: etree._Element) -> str:
    """``_Cell.text``: its own paragraphs, one a line (nested tables are not part of it)."""
    return "\n".join(_paragraph_text(p) for p in cell if p.tag == _P).strip()


def _table_lines(table: etree._Element) -> Iterator[str]:
    """One tab-separated line per row; a cell merged across columns or rows appears once.

    A vertically merged cell (``vMerge="continue"``) reads as the cell above it, found by grid
    column in the previous row's cells (python-docx searches the rows instead); one without a
    cell above reads as itself rather than failing the document.
    """
    above: dict[int, str] = {}
    for row in table.iterchildren(_TR):
        column = row.grid_before
        cells: dict[int, str] = {}
        for cell in row.iterchildren(_TC):
            text = _cell_text(cell)
            if cell.vMerge == "continue":
                text = above.get(column, text)
            cells[column] = text
            column += cell.grid_span
        above = cells
        yield "\t".join(dict.fromkeys(cells.values()))  # merged cells repeat; keep each once


def _body_lines(document: DocxDocument) -> Iterator[str]:
    """Paragraphs and table rows directly in the body, in order (``iter_inner_content``)."""
    body = document.element.body
    if body is None:
        return
    for block in body.iterchildren(_P, _TBL):
        if block.tag == _P:
            yield _paragraph_text(block)
        else:
            yield from _table_lines(block)


def _text(document: DocxDocument, limits: ReadLimits) -> str:
    """The body's text, refused as soon as it is sure to be longer than the limit.

    The running count leaves out each line's outer newlines, so it never exceeds the length
    of the final text (whose outer newlines are stripped) and refuses nothing under the limit.
    """
    lines: list[str] = []
    characters = 0
    for line in _body_lines(document):
        lines.append(line)
        characters += len(line.strip("\n"))
        check_text_length(characters, limits, " or more")
    text = "\n".join(lines).strip("\n")
    check_text_length(len(text), limits)
    return text


def _date(read: Callable[[], dt.datetime | None]) -> dt.datetime | None:
    """A core-properties date, or None: python-docx raises OverflowError for a date that its
    offset moves out of range (``0001-01-01T00:00:00+01:00``)."""
    try:
        value = read()
    except (ValueError, OverflowError):
        return None
    return to_utc(value) if value else None


def read_docx(data: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> ReaderOutput:
    document = _open(data, limits)
    try:
        text = _text(document, limits)
    except (ValueError, InvalidXmlError) as exc:  # w:gridSpan="abc" and the like
        raise DocumentError(f"corrupt DOCX: {exc}") from exc
    props = document.core_properties
    return ReaderOutput(
        text=text,
        title=clean_title(props.title),
        authors=authors_from([props.author]),
        created=_date(lambda: props.created),
        modified=_date(lambda: props.modified),
    )
