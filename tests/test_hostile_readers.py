"""Tiny hostile files that did real damage, each built here: every reader refuses or defuses them.

Memory is measured with tracemalloc (Python allocations: the bytes a ZIP part inflates to, the
strings a YAML alias expands to), which is deterministic; CPU-time bounds are generous (the
unguarded readers took minutes) so that a loaded machine does not fail them.
"""

from __future__ import annotations

import io
import re
import time
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import docx
import pypdfium2 as pdfium
import pytest
from docx.oxml import parse_xml
from fpdf import FPDF
from selectolax.lexbor import LexborHTMLParser

from documents import (
    ZipEntry,
    deflated,
    docx_entries,
    repeated_deflate,
    replace_entry,
    write_zip,
    yaml_alias_bomb,
    zip_bomb_docx,
)
from llm_lineage.extraction import decoding
from llm_lineage.extraction.limits import (
    MAX_AUTHORS_PER_DOCUMENT,
    MAX_FRONT_MATTER_CHARACTERS,
    MAX_FRONT_MATTER_DEPTH,
    MAX_HTML_DEPTH,
    MAX_PACKAGE_PARTS,
    MAX_TITLE_CHARACTERS,
    ReadLimits,
    clean_authors,
    clean_title,
)
from llm_lineage.extraction.model import DocumentError
from llm_lineage.extraction.readers.common import authors_from
from llm_lineage.extraction.readers.docx import read_docx
from llm_lineage.extraction.readers.html import read_html
from llm_lineage.extraction.readers.pdf import read_pdf
from llm_lineage.extraction.readers.text import read_markdown, read_plain_text

MiB = 1024 * 1024
#: The title and author a hostile PDF or DOCX carries: NUL, C0 and C1 controls, CRLF, a
#: right-to-left override that disguises "exe.TXT" as "TXT.exe", and markup that is only data.
HOSTILE_TITLE = "Evil\x00Title\x01\r\nline2\u202eTXT.exe <script>alert(1)</script>\x85 end"
CLEAN_TITLE = "Evil Title line2TXT.exe <script>alert(1)</script> end"
HOSTILE_AUTHOR = "Alice\r\nMallory; Bob\u202e\x00"


@dataclass
class Cost:
    peak_bytes: int = 0
    cpu_seconds: float = 0.0


@contextmanager
def measured() -> Iterator[Cost]:
    """Peak Python memory (tracemalloc) and CPU time of the block."""
    cost = Cost()
    tracemalloc.start()
    started = time.process_time()
    try:
        yield cost
    finally:
        cost.cpu_seconds = time.process_time() - started
        cost.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def refusal(read: Callable[[], object]) -> str:
    with pytest.raises(DocumentError) as caught:
        read()
    return caught.value.reason


# --- DOCX: zip bombs and lying ZIP directories ---------------------------------------------


def test_docx_zip_bomb_is_refused_from_its_directory_before_anything_inflates() -> None:
    bomb = zip_bomb_docx(300 * MiB)  # about 1 MB on disk; python-docx would take gigabytes
    assert len(bomb) < 2 * MiB

    with measured() as cost:
        reason = refusal(lambda: read_docx(bomb))

    assert reason.startswith("DOCX expands to 3")
    assert "bytes, over max_expanded_bytes=268,435,456 (a zip bomb?)" in reason
    assert reason.endswith(" bytes") and "word/document.xml alone is 31" in reason
    assert cost.peak_bytes < 16 * MiB
    assert cost.cpu_seconds < 5


def test_docx_expanded_size_counts_every_part() -> None:
    package = write_zip(docx_entries(title="Small"))
    with zipfile.ZipFile(io.BytesIO(package)) as archive:
        expanded = sum(info.file_size for info in archive.infolist())

    assert read_docx(package, ReadLimits(max_expanded_bytes=expanded)).title == "Small"
    reason = refusal(lambda: read_docx(package, ReadLimits(max_expanded_bytes=expanded - 1)))
    assert reason.startswith(f"DOCX expands to {expanded:,} bytes, over max_expanded_bytes=")


def _lying_entry(name: str, real_bytes: int, declared: int, crc_of_prefix: bool) -> ZipEntry:
    """A part that declares ``declared`` bytes and really inflates to ``real_bytes``."""
    real = repeated_deflate(name, b"", b"a" * MiB, real_bytes // MiB, b"")
    crc = zlib.crc32(b"a" * declared) if crc_of_prefix else real.crc
    return ZipEntry(name, real.compressed, crc, declared)


@pytest.mark.parametrize("crc_of_prefix", [True, False], ids=["prefix-crc", "real-crc"])
def test_zipfile_cuts_a_lying_part_at_its_declared_size_but_read_inflates_it_whole(
    crc_of_prefix: bool,
) -> None:
    """What the DOCX reader must not rely on: the declared size bounds what ``zipfile`` returns
    (and a longer part fails the CRC check), but not the memory ``ZipFile.read()`` uses."""
    archive = write_zip([_lying_entry("big.txt", 32 * MiB, 1024, crc_of_prefix)])

    def read_all() -> bytes:
        with zipfile.ZipFile(io.BytesIO(archive)) as package:
            return package.read("big.txt")

    def read_in_steps() -> bytes:
        with zipfile.ZipFile(io.BytesIO(archive)) as package, package.open("big.txt") as part:
            return b"".join(iter(lambda: part.read(64 * 1024), b""))

    for read, peak_at_least, peak_below in ((read_all, 32 * MiB, None), (read_in_steps, 0, MiB)):
        with measured() as cost:
            if crc_of_prefix:
                assert read() == b"a" * 1024
            else:
                with pytest.raises(zipfile.BadZipFile, match="Bad CRC-32"):
                    read()
        assert cost.peak_bytes >= peak_at_least
        assert peak_below is None or cost.peak_bytes < peak_below


@pytest.mark.parametrize("crc_of_prefix", [True, False], ids=["prefix-crc", "real-crc"])
@pytest.mark.parametrize("part", ["word/document.xml", "word/styles.xml"])  # read, not read
def test_docx_part_that_inflates_past_its_declared_size_is_refused(
    crc_of_prefix: bool, part: str
) -> None:
    liar = _lying_entry(part, 32 * MiB, 4096, crc_of_prefix)
    package = write_zip(replace_entry(docx_entries(), liar))

    with measured() as cost:
        reason = refusal(lambda: read_docx(package))

    assert reason == (
        f"DOCX part {part} inflates past the 4,096 bytes its ZIP directory declares (a zip bomb?)"
    )
    assert cost.peak_bytes < 8 * MiB  # ZipFile.read() would hold the 32 MiB


def test_docx_with_too_many_parts_is_refused() -> None:
    entries = docx_entries() + [
        ZipEntry(f"customXml/item{i}.xml", b"\x03\x00", 0, 0) for i in range(MAX_PACKAGE_PARTS)
    ]

    reason = refusal(lambda: read_docx(write_zip(entries)))

    assert reason == "DOCX has more than 10,000 parts (ZIP entries), the most read"


def test_docx_part_compressed_with_bzip2_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as package:
        for entry in docx_entries():
            package.writestr(entry.name, zlib.decompress(entry.compressed, -15))

    reason = refusal(lambda: read_docx(buffer.getvalue()))

    assert reason == (
        "DOCX part [Content_Types].xml uses ZIP compression method 12; only stored and "
        "deflated parts are read"
    )


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


# --- Markdown: YAML front matter -----------------------------------------------------------

ALIAS_BOMB = yaml_alias_bomb()


def test_markdown_yaml_alias_bomb_is_not_metadata_and_the_text_is_kept() -> None:
    with measured() as cost:
        output = read_markdown(ALIAS_BOMB.encode())

    assert output.title is None
    assert output.text == ALIAS_BOMB.strip("\n")  # front matter that is not metadata is text
    assert cost.peak_bytes < 4 * MiB
    assert cost.cpu_seconds < 2


def test_markdown_front_matter_with_a_few_aliases_is_still_metadata() -> None:
    source = "---\nauthor: &lead Ada Lovelace\nreviewer: *lead\ntitle: Notes\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert (output.title, output.authors, output.text) == ("Notes", ("Ada Lovelace",), "Body.")


def test_markdown_front_matter_over_the_size_limit_is_text() -> None:
    padding = "x" * MAX_FRONT_MATTER_CHARACTERS
    source = f"---\ntitle: Big\nnote: {padding}\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert output.title is None
    assert output.text.startswith("---\ntitle: Big\n") and output.text.endswith("---\nBody.")


def test_markdown_deeply_nested_front_matter_is_text() -> None:
    depth = MAX_FRONT_MATTER_DEPTH + 1
    source = f"---\ntitle: Deep\nx: {'[' * depth}{']' * depth}\n---\nBody.\n"

    output = read_markdown(source.encode())

    assert output.title is None and output.text.startswith("---\ntitle: Deep")


@pytest.mark.parametrize(
    ("front_matter", "title", "authors"),
    [
        ("title: [a, b]\nauthors: {x: 1}", "Heading", ()),
        ("title: {x: 1}\nauthors: [Ada, {x: 1}, [y], 7, Alan]", "Heading", ("Ada", "7", "Alan")),
        ("title: 2024-01-02\nauthor: 42", "2024-01-02", ("42",)),
        ("title: 3.5\nauthor: true", "3.5", ()),
        ('title: "A\\ud800B"', "A\ufffdB", ()),
    ],
    ids=["lists", "mappings", "date-and-int", "float-and-bool", "lone-surrogate"],
)
def test_markdown_metadata_comes_only_from_scalars(
    front_matter: str, title: str, authors: tuple[str, ...]
) -> None:
    output = read_markdown(f"---\n{front_matter}\n---\n# Heading\n\nBody.\n".encode())

    assert (output.title, output.authors) == (title, authors)
    assert output.text == "# Heading\n\nBody."


@pytest.mark.parametrize("date", ["2024-02-30", "0001-01-01T00:00:00+01:00"])
def test_markdown_impossible_date_costs_only_the_date(date: str) -> None:
    output = read_markdown(f"---\ntitle: Kept\ndate: {date}\n---\nBody.\n".encode())

    assert (output.title, output.created, output.text) == ("Kept", None, "Body.")


def test_markdown_explicitly_tagged_junk_makes_front_matter_text() -> None:
    output = read_markdown(b"---\ntitle: T\nwhen: !!timestamp soon\n---\nBody.\n")

    assert output.title is None and output.text.startswith("---\ntitle: T")


def test_markdown_author_field_with_a_newline_is_one_author() -> None:
    output = read_markdown(b'---\nauthor: "Ada\\nMallory; Bob \\u202e"\n---\nBody.\n')

    assert output.authors == ("Ada Mallory", "Bob")


def test_markdown_heading_with_a_long_run_of_spaces_is_fast() -> None:
    """The old heading pattern backtracked catastrophically: 5,000 spaces took 284 s of CPU."""
    source = "# Title" + " " * 2_000 + "end\n\nBody.\n"

    with measured() as cost:
        output = read_markdown(source.encode())

    assert output.title is not None and output.title.startswith("Title")
    assert cost.cpu_seconds < 2


# --- HTML: nesting depth -------------------------------------------------------------------


def nested(depth: int, tag: str = "div", closing: str | None = None) -> bytes:
    """``depth`` nested elements, each holding a word, then ``closing`` (default: their ends)."""
    ends = f"</{tag}>" * depth if closing is None else closing
    return f"<!doctype html><html><body>{f'<{tag}>x' * depth}{ends}</body></html>".encode()


def test_html_nested_200000_deep_is_refused_before_parsing() -> None:
    with measured() as cost:
        reason = refusal(lambda: read_html(nested(200_000)))

    assert reason == (
        "HTML nests elements over 512 deep (at character 3,099), the deepest read: parse "
        "time grows with the square of the depth"
    )
    assert cost.cpu_seconds < 2  # parsing it took 173 s


def test_html_at_the_depth_limit_is_read_and_one_deeper_is_not() -> None:
    assert read_html(nested(MAX_HTML_DEPTH)).text == "x" * MAX_HTML_DEPTH

    refusal(lambda: read_html(nested(MAX_HTML_DEPTH + 1)))


def test_html_depth_scan_runs_once_a_page_has_more_tags_than_the_limit() -> None:
    """Pages with no more ``<`` than the limit skip the scan: the first one past it is scanned."""
    assert read_html(b"<div>" * MAX_HTML_DEPTH).text == ""

    reason = refusal(lambda: read_html(b"<div>" * (MAX_HTML_DEPTH + 1)))

    assert reason.startswith("HTML nests elements over 512 deep (at character 2,560)")


@pytest.mark.parametrize(
    "document",
    [
        nested(2000, "span", closing="</i>" * 2000),  # stray end tags that close nothing
        nested(2000, "div", closing=""),  # never closed
        b"<body>" + b"<div/>" * 2000 + b"</body>",  # <div/> opens a div in HTML
        b"<body>" + b"<div></i>" * 2000 + b"</body>",
        # SVG ends at an HTML tag (and <svg/> at once): <path/> after that opens an element
        b"<body><svg><br>" + b"<path/>" * 2000,
        b"<body><svg></p>" + b"<path/>" * 2000,
        b"<body><svg><font color=red>" + b"<path/>" * 2000,
        b"<body><svg/>" + b"<path/>" * 2000,
        b"<body><svg><style>" + b"<div>" * 2000,  # no raw text inside SVG
        # comments that end without "-->"
        b"<body><!-- a --!>" + b"<div>" * 2000,
        b"<body><!-->" + b"<div>" * 2000,
        b"<body><!--->" + b"<div>" * 2000,
    ],
    ids=[
        "stray-end-tags",
        "unclosed",
        "self-closing-div",
        "interleaved-stray-end-tags",
        "svg-left-by-br",
        "svg-left-by-end-p",
        "svg-left-by-font",
        "self-closing-svg",
        "style-in-svg",
        "comment-ending-bang",
        "empty-comment",
        "empty-comment-dash",
    ],
)
def test_html_depth_cannot_be_hidden(document: bytes) -> None:
    last = list(LexborHTMLParser(document.decode()).root.traverse())[-1]
    ancestors = 0
    while (last := last.parent) is not None:
        ancestors += 1
    assert ancestors > 2000  # what the parser builds: as deep as it looks
    assert refusal(lambda: read_html(document)).startswith("HTML nests elements over 512 deep")


def test_html_depth_scan_skips_what_is_not_markup() -> None:
    scripts = "<script>for (i = 0; i<n; i++) { if (a<b) {} }</script>" * 600
    page = (
        f"<html><head><title><b><b><b></title>{scripts}</head><body>"
        + "<!-- <div><div> -->" * 600
        + "<svg>" + "<path d='M0'/>" * 2000 + "</svg>"
        + "<p title='<i<i<i'>One</p>" * 600
        + "<ul><li>a<li>b<li>c</ul><p>x<p>y<p>z"
        + "</body></html>"
    )  # fmt: skip

    output = read_html(page.encode())

    assert output.title == "<b><b><b>"  # title text is not markup
    assert output.text == "One\n" * 600 + "a\nb\nc\n\nx\ny\nz"


def test_html_text_over_the_limit_is_refused() -> None:
    page = b"<html><body><p>" + b"word " * 30_000 + b"</p></body></html>"

    reason = refusal(lambda: read_html(page, ReadLimits(max_characters=100_000)))

    assert reason == "text has 149,999 characters, over max_document_characters=100,000"


def test_html_metadata_is_cleaned() -> None:
    page = (
        "<html><head><title>A&#0;B&#x202E;C\n<script>x</script></title>"
        '<meta name="author" content="Ada&#10;Mallory; Bob"></head><body>Text</body></html>'
    )

    output = read_html(page.encode())

    assert output.title == "A\ufffdBC <script>x</script>"
    assert output.authors == ("Ada Mallory", "Bob")


# --- PDF: metadata and text limit ----------------------------------------------------------


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


# --- plain text and decoding ---------------------------------------------------------------


def test_plain_text_limit_counts_characters_after_crlf_becomes_lf() -> None:
    data = b"abcd\r\n" * 2  # 10 characters once CRLF is LF

    assert read_plain_text(data, ReadLimits(max_characters=10)).text == "abcd\nabcd\n"
    reason = refusal(lambda: read_plain_text(data, ReadLimits(max_characters=9)))
    assert reason == "text has 10 characters, over max_document_characters=9"


def test_markdown_limit_counts_the_text_not_the_front_matter() -> None:
    data = b"---\ntitle: T\n---\n\n0123456789\n\n"

    assert read_markdown(data, ReadLimits(max_characters=10)).text == "0123456789"
    refusal(lambda: read_markdown(data, ReadLimits(max_characters=9)))


def test_charset_detection_looks_at_a_sample_and_the_whole_file_must_decode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    detect = decoding.from_bytes

    def recording_from_bytes(data: bytes) -> object:
        seen.append(len(data))
        return detect(data)

    monkeypatch.setattr(decoding, "from_bytes", recording_from_bytes)
    sentence = "Il était une fois une crème brûlée à la française, déjà très célèbre.\n"
    # 0x81 is undefined in cp1252, the detector's first choice; it comes after the sample
    data = (sentence * (3 * MiB // len(sentence))).encode("cp1252") + b"caf\x81\n"

    output = read_plain_text(data)

    assert seen and max(seen) <= decoding.DETECTION_SAMPLE_BYTES
    assert (output.encoding, output.encoding_fallback) == ("latin_1", True)
    assert output.text == data.decode("latin_1")


def test_text_with_a_utf16_byte_order_mark_but_broken_utf16_is_refused() -> None:
    reason = refusal(lambda: read_plain_text(b"\xff\xfeA\x00\x00\xd8"))  # a lone surrogate

    assert reason.startswith("undecodable text: starts with a utf-16 byte order mark but is not")


# --- metadata cleaning rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("A\x00B\x07C\x7fD\x9fE", "A B C D E"),
        ("  two\r\nlines\tand\u2028more  ", "two lines and more"),
        ("abc\u202edef\u200b\u2066g\ufeff", "abcdefg"),
        ("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"),
        ("e\u0301", "\u00e9"),
        ("A\ud800B", "A\ufffdB"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("\x00\u202e \n", None),
    ],
    ids=["controls", "whitespace", "invisible", "zwnj-kept", "nfc", "surrogate", "markup", "empty"],
)  # fmt: skip
def test_clean_title_rules(raw: str, clean: str | None) -> None:
    assert clean_title(raw) == clean


def test_authors_are_split_cleaned_deduplicated_and_capped() -> None:
    assert authors_from(["Ada\nMallory; Bob & Carol and Dan", "Bob ; ; Eve"]) == (
        "Ada Mallory",
        "Bob",
        "Carol",
        "Dan",
        "Eve",
    )
    many = "; ".join(f"Author {index}" for index in range(1000))
    assert len(authors_from([many])) == MAX_AUTHORS_PER_DOCUMENT
    assert clean_authors(7) == ("7",)


def test_author_field_with_a_long_run_of_spaces_is_linear() -> None:
    """The old separator pattern began with ``\\s*``: 20,000 spaces took 14 s, 39,000 took 47 s."""
    with measured() as cost:
        authors = authors_from(["Ada" + " " * 20_000 + "x; Bob"])

    assert authors == ("Ada", "Bob")  # a name is cut to its first 800 characters, then cleaned
    assert cost.cpu_seconds < 2


def test_a_date_utc_cannot_hold_loses_the_date_not_the_document() -> None:
    page = (
        b"<html><head><title>Old</title>"
        b'<meta name="dcterms.created" content="0001-01-01T00:00:00+01:00"></head>'
        b"<body><p>Text survives.</p></body></html>"
    )
    output = read_html(page)
    assert output.text == "Text survives."
    assert output.created is None
