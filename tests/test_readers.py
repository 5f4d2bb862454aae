"""Each format reader on real documents made by real libraries, good and bad."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import docx
import pytest
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.text.paragraph import Paragraph
from fpdf import FPDF

from documents import make_bad_documents, make_docx, make_html, make_markdown, make_pdf
from llm_lineage.extraction import (
    DocumentError,
    ExtractionSettings,
    extract_corpus,
    local_documents,
)
from llm_lineage.extraction.formats import format_for
from llm_lineage.extraction.limits import DEFAULT_LIMITS
from llm_lineage.extraction.model import ReaderOutput
from llm_lineage.extraction.readers import READERS

UTC = dt.timezone.utc


def read(path: Path) -> ReaderOutput:
    """Read a file with the reader its extension selects, as the engine does."""
    fmt = format_for(path.name)
    assert fmt is not None, path
    return READERS[fmt.name].read(path.read_bytes(), DEFAULT_LIMITS)


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


# --- PDF ---------------------------------------------------------------------------------


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


# --- DOCX --------------------------------------------------------------------------------


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


def rezipped(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The ZIP package ``data`` with ``parts`` replaced or added (None: removed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        contents = {info.filename: source.read(info) for info in source.infolist()} | parts
        for name, content in contents.items():
            if content is not None:
                target.writestr(name, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def small_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("First paragraph.")
    document.core_properties.title = "Small"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def part_of(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name)


def read_docx_bytes(data: bytes) -> ReaderOutput:
    return READERS["docx"].read(data, DEFAULT_LIMITS)


def test_docx_main_part_is_found_through_the_package_relationships() -> None:
    """The main document is where ``_rels/.rels`` points, and a Word document by the override
    in ``[Content_Types].xml`` (matched without regard to case): here ``body/main.xml``."""
    data = small_docx()
    types = part_of(data, "[Content_Types].xml")
    moved = rezipped(
        data,
        {
            "word/document.xml": None,
            "body/main.xml": part_of(data, "word/document.xml"),
            "_rels/.rels": part_of(data, "_rels/.rels").replace(
                b"word/document.xml", b"body/main.xml"
            ),
            "[Content_Types].xml": types.replace(b"/word/document.xml", b"/BODY/Main.xml"),
        },
    )

    output = read_docx_bytes(moved)

    assert (output.text, output.title) == ("First paragraph.", "Small")
    assert docx.Document(io.BytesIO(moved)).paragraphs[0].text == "First paragraph."


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


def test_docx_parts_other_than_the_text_and_metadata_are_not_parsed() -> None:
    """Styles, settings and the rest are never parsed (python-docx's ``Document()`` parses them
    all), so damage there costs nothing; damage in the main part still refuses the document."""
    data = small_docx()

    output = read_docx_bytes(rezipped(data, {"word/styles.xml": b"<w:styles"}))

    assert output.text == "First paragraph."
    with pytest.raises(DocumentError, match=r"^corrupt DOCX: "):
        read_docx_bytes(rezipped(data, {"word/document.xml": b"<w:document"}))


def test_docx_whose_main_part_is_not_a_word_document_is_refused() -> None:
    data = small_docx()
    types = part_of(data, "[Content_Types].xml")
    template = types.replace(b"document.main+xml", b"template.main+xml")

    with pytest.raises(DocumentError) as caught:
        read_docx_bytes(rezipped(data, {"[Content_Types].xml": template}))

    assert caught.value.reason == (
        "corrupt DOCX: not a Word document, its main part /word/document.xml is "
        "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml"
    )


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


# --- HTML --------------------------------------------------------------------------------


def test_html_visible_text_only_and_meta_tags(tmp_path: Path) -> None:
    path = make_html(
        tmp_path / "article.html",
        "<h1>Rivers</h1><p>Water is <b>always</b> moving.</p><div>Second block</div>",
        title="River Article",
        author="Grace Hopper; Alan Turing",
        published="2024-03-01T10:00:00+02:00",
        modified="2024-03-05T12:00:00Z",
    )

    output = read(path)

    assert output.text == "Rivers\nWater is always moving.\nSecond block"
    for hidden in ("SCRIPT TEXT", "also hidden", "color: red", "River Article"):
        assert hidden not in output.text
    assert output.title == "River Article"
    assert output.authors == ("Grace Hopper", "Alan Turing")
    assert output.created == dt.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)
    assert output.modified == dt.datetime(2024, 3, 5, 12, 0, tzinfo=UTC)
    assert output.encoding == "utf-8"
    assert output.encoding_fallback is False


def test_html_whitespace_folds_to_single_spaces_and_blank_lines() -> None:
    """Runs of spaces and tabs become one space, \\f and \\v break lines, lines are stripped,
    blank lines fold to one; other Unicode spaces inside a line are kept."""
    page = (
        "<html><body><p>Tabs\t\tand  runs   of\tspaces, a\fform feed,\va vertical tab</p>\n"
        "   \n\t\n<div> \xa0 padded\t </div><pre>one\n\n\n\nafter blank lines</pre>"
        "x<span> </span>y\u2003\u2003z</body></html>"
    )

    output = READERS["html"].read(page.encode(), DEFAULT_LIMITS)

    assert output.text == (
        "Tabs and runs of spaces, a\nform feed,\na vertical tab\n\npadded\n"
        "one\n\nafter blank lines\nx y\u2003\u2003z"
    )


def test_html_declared_charset_is_used(tmp_path: Path) -> None:
    path = tmp_path / "latin.html"
    path.write_bytes(
        "<html><head><meta charset='iso-8859-1'><title>Menu</title></head>"
        "<body><p>Café crème</p></body></html>".encode("latin-1")
    )

    output = read(path)

    assert output.text == "Café crème"
    assert output.title == "Menu"
    assert output.encoding == "iso8859-1"
    assert output.encoding_fallback is False


# --- Markdown ----------------------------------------------------------------------------


def test_markdown_front_matter_is_metadata_and_markup_is_kept(tmp_path: Path) -> None:
    body = "# Heading\n\nSome *emphasis* and a [link](https://example.org).\n\n- item\n"
    path = make_markdown(
        tmp_path / "notes.md",
        body,
        title="Field Notes",
        authors=["Ada Lovelace", "Alan Turing"],
        date="2022-12-25",
    )

    output = read(path)

    assert output.text == body.strip("\n")
    assert "---" not in output.text
    assert "title:" not in output.text
    assert output.title == "Field Notes"
    assert output.authors == ("Ada Lovelace", "Alan Turing")
    assert output.created == dt.datetime(2022, 12, 25, tzinfo=UTC)
    assert output.encoding == "utf-8"


def test_markdown_without_front_matter_takes_title_from_heading(tmp_path: Path) -> None:
    path = tmp_path / "readme.md"
    path.write_text("# Project Readme\n\nBody **bold**.\n", encoding="utf-8")

    output = read(path)

    assert output.text == "# Project Readme\n\nBody **bold**."
    assert output.title == "Project Readme"
    assert output.authors == ()
    assert output.created is None


def test_markdown_front_matter_datetime_with_offset_is_utc(tmp_path: Path) -> None:
    path = tmp_path / "post.md"
    path.write_text(
        "---\nauthor: Ada Lovelace; Alan Turing\ndate: 2024-02-02T10:00:00+02:00\n---\nText.\n",
        encoding="utf-8",
    )

    output = read(path)

    assert output.text == "Text."
    assert output.authors == ("Ada Lovelace", "Alan Turing")
    assert output.created == dt.datetime(2024, 2, 2, 8, 0, tzinfo=UTC)


# --- plain text --------------------------------------------------------------------------


def test_plain_utf8_text(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    path.write_bytes("Grüße, 世界!\r\nSecond line.\r\n".encode())

    output = read(path)

    assert output.text == "Grüße, 世界!\nSecond line.\n"
    assert output.encoding == "utf-8"
    assert output.encoding_fallback is False
    assert output.title is None
    assert output.authors == ()


def test_latin1_text_round_trips_with_fallback_recorded(tmp_path: Path) -> None:
    path = tmp_path / "menu.txt"
    path.write_bytes("Café crème brûlée".encode("latin-1"))

    output = read(path)

    assert output.text == "Café crème brûlée"
    assert output.encoding == "cp1252"
    assert output.encoding_fallback is True


@pytest.mark.parametrize(
    "sentence",
    [
        "Il était une fois une crème brûlée à la française, déjà très célèbre.",
        "Größe und Übermaß: schöne Grüße aus München.",
        "El niño comió piñata y jalapeño en la montaña.",
    ],
    ids=["french", "german", "spanish"],
)
def test_latin1_western_european_sentences_decode_without_mojibake(
    tmp_path: Path, sentence: str
) -> None:
    path = tmp_path / "western.txt"
    path.write_bytes(sentence.encode("latin-1"))

    output = read(path)

    assert output.text == sentence
    assert output.encoding == "cp1252"
    assert output.encoding_fallback is True


def test_cp1251_cyrillic_is_not_forced_to_western(tmp_path: Path) -> None:
    sentence = "Привет, мир! Это простой текст на русском языке для проверки."
    path = tmp_path / "ru.txt"
    path.write_bytes(sentence.encode("cp1251"))

    output = read(path)

    assert output.text == sentence
    assert output.encoding == "cp1251"
    assert output.encoding_fallback is True


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


def test_docx_that_is_not_a_zip_reason(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["corrupt DOCX"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == "corrupt DOCX: not a ZIP package"


def test_binary_junk_named_txt_reason(tmp_path: Path) -> None:
    path = make_bad_documents(tmp_path)["binary content"]

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == "binary content (NUL bytes), not text"


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "controls.txt"
    path.write_bytes(bytes(range(1, 32)) * 20)

    with pytest.raises(DocumentError) as caught:
        read(path)

    assert caught.value.reason == (
        "binary content: decodes as utf-8 but is mostly control characters"
    )


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
