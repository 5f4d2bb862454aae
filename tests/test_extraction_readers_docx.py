"""The DOCX reader on documents made by python-docx: text as python-docx reads it, core
properties, and damaged or hostile content (the ZIP package checks are in
test_extraction_readers_package.py)."""

from __future__ import annotations

import datetime as dt
import io
import re
import zlib
from collections.abc import Callable
from pathlib import Path

import docx
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph

from documents import deflated, docx_entries, make_docx, replace_entry, write_zip, zip_bomb_docx
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.readers.docx import read_docx
from readers_fixtures import (
    CLEAN_TITLE,
    HOSTILE_AUTHOR,
    UTC,
    MiB,
    measured,
    part_of,
    read,
    read_docx_bytes,
    refusal,
    rezipped,
    small_docx,
)

# --- good documents ----------------------------------------------------------------------


def test_docx_paragraphs_table_cells_and_core_properties(tmp_path: Path) -> None:
    path = make_docx(
        tmp_path / "memo.docx",
        ["Quarterly memo.", "Budget is on track."],
        title="Q3 Memo",
        author="Grace Hopper; Katherine Johnson",
        created=dt.datetime(2023, 5, 1, 9, 15, tzinfo=UTC),
        modified=dt.datetime(2023, 6, 2, 17, 45, tzinfo=UTC),
        table=[["Name", "Role"], ["Ada", "Engineer"]],
    )

    output = read(path)

    assert output.text == "Quarterly memo.\nBudget is on track.\nName\tRole\nAda\tEngineer"
    assert output.title == "Q3 Memo"
    assert output.authors == ("Grace Hopper", "Katherine Johnson")
    assert output.created == dt.datetime(2023, 5, 1, 9, 15, tzinfo=UTC)
    assert output.modified == dt.datetime(2023, 6, 2, 17, 45, tzinfo=UTC)
    assert output.pages is None


def test_docx_without_core_properties_reads_as_python_docx_does() -> None:
    """python-docx makes a core properties part up when a package has none; so does the reader."""
    data = small_docx()
    rels = re.sub(
        rb"<Relationship [^>]*core-properties\"[^>]*/>", b"", part_of(data, "_rels/.rels")
    )
    bare = rezipped(data, {"docProps/core.xml": None, "_rels/.rels": rels})
    made_up = docx.Document(io.BytesIO(bare)).core_properties

    output = read_docx_bytes(bare)

    assert output.title == made_up.title == "Word Document"
    assert (output.text, output.authors, output.created) == ("First paragraph.", (), None)
    assert output.modified is not None  # python-docx's made-up part: modified now


def python_docx_text(data: bytes) -> str:
    """The text python-docx's own API gives, row by row as the reader used to build it."""
    document = docx.Document(io.BytesIO(data))
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            lines.append(block.text)
        else:
            for row in block.rows:
                lines.append("\t".join(dict.fromkeys(cell.text.strip() for cell in row.cells)))
    return "\n".join(lines).strip("\n")


def test_docx_text_is_what_python_docx_reads(tmp_path: Path) -> None:
    """The reader walks python-docx's element tree itself (its API compiles an XPath query per
    paragraph); tabs, breaks, hyperlinks and merged cells must read exactly the same."""
    document = docx.Document()
    paragraph = document.add_paragraph("Tab\there, ")
    run = paragraph.add_run("line")
    run.add_break()
    run.add_text("after break")
    paragraph.add_run("page").add_break(WD_BREAK.PAGE)
    paragraph._p.append(
        parse_xml(
            f"<w:hyperlink {nsdecls('w', 'r')} r:id='rId99'><w:r><w:t>link</w:t></w:r>"
            "<w:r><w:noBreakHyphen/><w:t xml:space='preserve'> text</w:t></w:r></w:hyperlink>"
        )
    )
    grid = document.add_table(rows=4, cols=3)
    for r in range(4):
        for c in range(3):
            grid.cell(r, c).text = f"r{r}c{c}"
    grid.cell(0, 0).merge(grid.cell(0, 1))  # across columns
    grid.cell(1, 2).merge(grid.cell(3, 2))  # down rows
    grid.cell(2, 0).add_paragraph("second paragraph")
    grid.cell(3, 0).text = ""
    document.add_paragraph("After the table.")
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp_path / "rich.docx"
    path.write_bytes(buffer.getvalue())

    output = read(path)

    assert output.text == python_docx_text(buffer.getvalue())
    assert output.text == (
        "Tab\there, line\nafter breakpagelink- text\n"
        "r0c0\nr0c1\tr0c2\n"  # merged across columns: one cell, its paragraphs joined
        "r1c0\tr1c1\tr1c2\nr2c2\nr3c2\n"  # merged down rows: the cell's text on every row
        "r2c0\nsecond paragraph\tr2c1\tr1c2\nr2c2\nr3c2\n"
        "\tr3c1\tr1c2\nr2c2\nr3c2\n"
        "After the table."
    )


# --- hostile content and metadata --------------------------------------------------------


def test_docx_text_over_the_limit_is_refused_while_reading() -> None:
    package = zip_bomb_docx(2 * MiB, paragraph_text="b" * 100)  # about 1.8 M characters

    reason = refusal(lambda: read_docx(package, ReadLimits(max_characters=100_000)))

    assert reason == "text has 100,100 characters or more, over max_document_characters=100,000"


def test_docx_vertically_merged_column_reads_in_one_pass() -> None:
    """python-docx finds each merged cell's origin by searching the rows above, recursively:
    on these 3,000 rows it spent 50 s of CPU, then overflowed the stack at row 989. The reader
    carries the row above instead."""
    document = docx.Document()
    rows = "".join(
        "<w:tr><w:tc><w:tcPr><w:vMerge"
        + (' w:val="restart"' if index == 0 else "")
        + "/></w:tcPr><w:p><w:r><w:t>"
        + ("Merged" if index == 0 else "")
        + f"</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>v{index}</w:t></w:r></w:p></w:tc></w:tr>"
        for index in range(3000)
    )
    table = parse_xml(
        '<w:tbl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        f"<w:tblGrid><w:gridCol/><w:gridCol/></w:tblGrid>{rows}</w:tbl>"
    )
    document.element.body.insert(0, table)
    buffer = io.BytesIO()
    document.save(buffer)

    with measured() as cost:
        output = read_docx(buffer.getvalue())

    assert output.text.splitlines() == [f"Merged\tv{index}" for index in range(3000)]
    assert cost.cpu_seconds < 10


def _with_core_xml(edit: Callable[[bytes], bytes], **properties: str) -> bytes:
    entries = docx_entries(**properties)
    core = next(entry for entry in entries if entry.name == "docProps/core.xml")
    xml = edit(zlib.decompress(core.compressed, -15))
    return write_zip(replace_entry(entries, deflated(core.name, xml)))


def test_docx_hostile_core_properties_are_cleaned() -> None:
    # XML cannot carry NUL or C0 controls other than tab, LF and CR; everything else can come
    title = "Evil Title\r\nline2\u202eTXT.exe <script>alert(1)</script>\x85\t end"
    package = write_zip(docx_entries(title=title, author=HOSTILE_AUTHOR.replace("\x00", "")))

    output = read_docx(package)

    assert output.title == CLEAN_TITLE
    assert output.authors == ("Alice Mallory", "Bob")


def test_docx_core_properties_with_nul_reference_is_a_corrupt_docx() -> None:
    package = _with_core_xml(
        lambda xml: xml.replace(b"Placeholder", b"A&#0;B"), title="Placeholder"
    )

    reason = refusal(lambda: read_docx(package))

    assert reason.startswith("corrupt DOCX: ")


def test_docx_date_out_of_range_in_utc_costs_only_the_date() -> None:
    package = _with_core_xml(
        lambda xml: re.sub(
            rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>0001-01-01T00:00:00+01:00", xml
        )
    )

    output = read_docx(package)

    assert (output.created, output.text) == (None, "A small document.")


def test_docx_table_with_a_malformed_grid_span_is_a_corrupt_docx() -> None:
    document = docx.Document()
    document.element.body.insert(
        0,
        parse_xml(
            '<w:tbl xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            '<w:tr><w:tc><w:tcPr><w:gridSpan w:val="abc"/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>'
        ),
    )
    buffer = io.BytesIO()
    document.save(buffer)

    reason = refusal(lambda: read_docx(buffer.getvalue()))

    assert reason == "corrupt DOCX: invalid literal for int() with base 10: 'abc'"
