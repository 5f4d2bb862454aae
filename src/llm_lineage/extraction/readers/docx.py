"""DOCX text (paragraphs and tables, in body order) and core properties with python-docx.

A DOCX is a ZIP package: a few hundred kilobytes can inflate to gigabytes of XML (a zip bomb),
so the package is checked (``package.open_package``) against ``max_expanded_bytes`` before any
part is inflated or parsed.

Only the two parts that hold the text and the metadata are parsed (``opc.Package``), with
python-docx's parser and element classes, not its ``Document()``, which parses every part it
knows (about 14 ms a document in python-docx's default template, seven times the rest of the
reader). Text is
taken from the element tree with the same rules as ``Paragraph.text`` and ``_Row.cells``
(python-docx 1.2), but in one pass: python-docx compiles an XPath query for every paragraph
and run (about 50 microseconds a paragraph, 80 s for a 64 MiB zip bomb) and finds the cell
above a vertically merged one by searching the rows before it (quadratic).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
import zlib
from collections.abc import Callable, Iterator

from docx.exceptions import InvalidXmlError
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.coreprops import CoreProperties
from docx.oxml.coreprops import CT_CoreProperties
from docx.oxml.document import CT_Body, CT_Document
from docx.oxml.ns import qn
from docx.oxml.parser import parse_xml
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
from llm_lineage.extraction.readers import DOCX_CELL_SEPARATOR
from llm_lineage.extraction.readers.common import authors_from
from llm_lineage.extraction.readers.opc import BadPackage, Package
from llm_lineage.extraction.readers.package import open_package

_P, _TBL, _TR, _TC = qn("w:p"), qn("w:tbl"), qn("w:tr"), qn("w:tc")
_R, _HYPERLINK = qn("w:r"), qn("w:hyperlink")
#: Run children that carry text; python-docx's element classes say what each one reads as
#: (``w:t`` its text, ``w:tab`` a tab, ``w:br`` a newline or nothing, ...).
_RUN_CONTENT = frozenset(
    qn(tag) for tag in ("w:br", "w:cr", "w:noBreakHyphen", "w:ptab", "w:t", "w:tab")
)
#: What reading a damaged package raises: zipfile (``RuntimeError`` for an encrypted part,
#: ``BadZipFile`` for a bad CRC), lxml, and the package's own lookups (``KeyError``).
_CORRUPT = (
    KeyError,
    ValueError,
    EOFError,
    RuntimeError,
    zipfile.BadZipFile,
    zlib.error,
    etree.XMLSyntaxError,
)


def library_version() -> str:
    return package_version("python-docx")


def _open(data: bytes, limits: ReadLimits) -> tuple[CT_Body | None, CoreProperties]:
    """The document body and the core properties, from a package that passed the checks."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("corrupt DOCX: not a ZIP package")
    with open_package(data, limits, "DOCX") as archive:
        try:
            package = Package(archive)
            main = package.related(RT.OFFICE_DOCUMENT)
            if package.content_type(main) != CT.WML_DOCUMENT_MAIN:
                raise DocumentError(
                    f"corrupt DOCX: not a Word document, its main part {main} is "
                    f"{package.content_type(main)}"
                )
            document = parse_xml(package.blob(main))
            return _body(document), _core_properties(package)
        except _CORRUPT as exc:
            raise DocumentError(f"corrupt DOCX: {exc}") from exc


def _body(document: etree._Element) -> CT_Body | None:
    if not isinstance(document, CT_Document):
        raise BadPackage(f"the main part holds {document.tag}, not a w:document")
    return document.body


def _core_properties(package: Package) -> CoreProperties:
    """The core properties part; without one, the part python-docx makes up in its place
    (``CorePropertiesPart.default``: the title "Word Document", modified now)."""
    try:
        partname = package.related(RT.CORE_PROPERTIES)
    except KeyError:
        made_up = CoreProperties(CT_CoreProperties.new())
        made_up.title = "Word Document"
        made_up.modified = dt.datetime.now(dt.timezone.utc)
        return made_up
    element = parse_xml(package.blob(partname))
    if package.content_type(partname) != CT.OPC_CORE_PROPERTIES:
        raise BadPackage(f"the core properties part {partname} is not core properties")
    if not isinstance(element, CT_CoreProperties):
        raise BadPackage(f"the core properties part holds {element.tag}")
    return CoreProperties(element)


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
        yield DOCX_CELL_SEPARATOR.join(
            dict.fromkeys(cells.values())
        )  # merged cells repeat; keep each once


def _body_lines(body: CT_Body | None) -> Iterator[str]:
    """Paragraphs and table rows directly in the body, in order (``iter_inner_content``)."""
    if body is None:
        return
    for block in body.iterchildren(_P, _TBL):
        if block.tag == _P:
            yield _paragraph_text(block)
        else:
            yield from _table_lines(block)


def _text(body: CT_Body | None, limits: ReadLimits) -> str:
    """The body's text, refused as soon as it is sure to be longer than the limit.

    The running count leaves out each line's outer newlines, so it never exceeds the length
    of the final text (whose outer newlines are stripped) and refuses nothing under the limit.
    """
    lines: list[str] = []
    characters = 0
    for line in _body_lines(body):
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
    body, props = _open(data, limits)
    try:
        text = _text(body, limits)
    except (ValueError, InvalidXmlError) as exc:  # w:gridSpan="abc" and the like
        raise DocumentError(f"corrupt DOCX: {exc}") from exc
    return ReaderOutput(
        text=text,
        title=clean_title(props.title),
        authors=authors_from([props.author]),
        created=_date(lambda: props.created),
        modified=_date(lambda: props.modified),
    )
