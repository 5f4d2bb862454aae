"""DOCX text (paragraphs and tables, in body order) and core properties with python-docx."""

from __future__ import annotations

import io
import zipfile

import docx
from docx.document import Document as DocxDocument
from docx.opc.exceptions import PackageNotFoundError
from docx.table import Table
from docx.text.paragraph import Paragraph

from llm_lineage.extraction.dates import to_utc
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers.common import split_authors
from llm_lineage.versions import package_version


def library_version() -> str:
    return package_version("python-docx")


def _open(data: bytes) -> DocxDocument:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise DocumentError("corrupt DOCX: not a ZIP package")
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DocumentError(f"corrupt DOCX: {exc}") from exc


def _table_lines(table: Table) -> list[str]:
    lines = []
    for row in table.rows:
        cells = [cell.text.strip() for cell in row.cells]
        lines.append("\t".join(dict.fromkeys(cells)))  # merged cells repeat; keep each once
    return lines


def read_docx(data: bytes) -> ReaderOutput:
    document = _open(data)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        elif isinstance(block, Table):
            lines.extend(_table_lines(block))
    props = document.core_properties
    return ReaderOutput(
        text="\n".join(lines).strip("\n"),
        title=props.title or None,
        authors=split_authors(props.author),
        created=to_utc(props.created) if props.created else None,
        modified=to_utc(props.modified) if props.modified else None,
    )
