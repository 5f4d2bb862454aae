"""Builders for real documents of every supported format, good and bad, made by real libraries."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import docx
from fpdf import FPDF


def make_pdf(
    path: Path,
    pages: list[str],
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    user_password: str | None = None,
) -> Path:
    """A text PDF with Info metadata; ``user_password`` makes an encrypted one."""
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    if title:
        pdf.set_title(title)
    if author:
        pdf.set_author(author)
    if created:
        pdf.set_creation_date(created)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 8, text)
    if user_password:
        pdf.set_encryption(owner_password="owner-" + user_password, user_password=user_password)
    path.write_bytes(bytes(pdf.output()))
    return path


def make_docx(
    path: Path,
    paragraphs: list[str],
    title: str | None = None,
    author: str | None = None,
    created: dt.datetime | None = None,
    modified: dt.datetime | None = None,
    table: list[list[str]] | None = None,
) -> Path:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    props = document.core_properties
    if title:
        props.title = title
    if author:
        props.author = author
    if created:
        props.created = created
    if modified:
        props.modified = modified
    buffer = io.BytesIO()
    document.save(buffer)
    path.write_bytes(buffer.getvalue())
    return path


def make_html(
    path: Path,
    body: str,
    title: str = "",
    author: str | None = None,
    published: str | None = None,
    modified: str | None = None,
) -> Path:
    metas = [f'<meta name="author" content="{author}">'] if author else []
    if published:
        metas.append(f'<meta property="article:published_time" content="{published}">')
    if modified:
        metas.append(f'<meta property="article:modified_time" content="{modified}">')
    html = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>{title}</title>{''.join(metas)}"
        "<style>body { color: red; }</style><script>var hidden = 'SCRIPT TEXT';</script>"
        f"</head><body>{body}<script>console.log('also hidden')</script></body></html>"
    )
    path.write_text(html, encoding="utf-8")
    return path


def make_markdown(
    path: Path,
    body: str,
    title: str | None = None,
    authors: list[str] | None = None,
    date: str = "",
) -> Path:
    front = ["---"]
    if title:
        front.append(f"title: {title}")
    if authors:
        front.append("authors:")
        front.extend(f"  - {name}" for name in authors)
    if date:
        front.append(f"date: {date}")
    front.append("---")
    path.write_text("\n".join(front) + "\n" + body, encoding="utf-8")
    return path


def make_bad_documents(folder: Path) -> dict[str, Path]:
    """One file for each way a document can be unreadable; keys name the expected reason."""
    folder.mkdir(parents=True, exist_ok=True)
    corrupt = folder / "corrupt.pdf"
    good = make_pdf(folder / "tmp-good.pdf", ["hello"]).read_bytes()
    corrupt.write_bytes(good[: len(good) // 3])  # header intact, body and xref gone
    good_path = folder / "tmp-good.pdf"
    good_path.unlink()
    encrypted = make_pdf(folder / "encrypted.pdf", ["secret text"], user_password="s3cret")
    empty = folder / "empty.txt"
    empty.write_bytes(b"")
    not_zip = folder / "not-a-zip.docx"
    not_zip.write_bytes(b"This is plain text pretending to be a Word document.\n")
    junk = folder / "junk.txt"
    junk.write_bytes(bytes(range(256)) * 8)
    return {
        "corrupt PDF": corrupt,
        "encrypted PDF": encrypted,
        "empty file": empty,
        "corrupt DOCX": not_zip,
        "binary content": junk,
    }


# --- hostile packages: ZIP entries written by hand, so sizes and CRCs can lie ----------------

_ZIP_DATE_1980 = 0x21  # DOS date 1980-01-01, the earliest a ZIP can hold


@dataclass(frozen=True)
class ZipEntry:
    """One raw-deflated ZIP member; ``file_size`` and ``crc`` are what the directory declares."""

    name: str
    compressed: bytes
    crc: int
    file_size: int


def deflated(name: str, data: bytes) -> ZipEntry:
    """An honest entry: ``data`` deflated, with its true size and CRC."""
    compressor = zlib.compressobj(6, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    return ZipEntry(name, compressed, zlib.crc32(data), len(data))


def write_zip(entries: list[ZipEntry]) -> bytes:
    """A ZIP archive of ``entries`` exactly as declared (no ZIP64: every size under 4 GiB).

    zipfile cannot write a member whose declared size differs from its data, nor reuse a
    precompressed stream, which the zip-bomb and lying-size tests need.
    """
    body, directory = bytearray(), bytearray()
    for entry in entries:
        name = entry.name.encode()
        sizes = (entry.crc, len(entry.compressed), entry.file_size, len(name))
        directory += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, _ZIP_DATE_1980, *sizes,
            0, 0, 0, 0, 0, len(body),
        )  # fmt: skip
        directory += name
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, _ZIP_DATE_1980, *sizes, 0)
        body += name + entry.compressed
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(directory), len(body), 0
    )
    return bytes(body + directory + end)


def docx_entries(**properties: str) -> list[ZipEntry]:
    """The parts of a small, valid DOCX made by python-docx (core ``properties`` such as title)."""
    document = docx.Document()
    document.add_paragraph("A small document.")
    for name, value in properties.items():
        setattr(document.core_properties, name, value)
    buffer = io.BytesIO()
    document.save(buffer)
    with zipfile.ZipFile(buffer) as package:
        return [deflated(info.filename, package.read(info)) for info in package.infolist()]


def replace_entry(entries: list[ZipEntry], replacement: ZipEntry) -> list[ZipEntry]:
    return [replacement if entry.name == replacement.name else entry for entry in entries]


def repeated_deflate(name: str, head: bytes, chunk: bytes, repeats: int, tail: bytes) -> ZipEntry:
    """An entry of ``head + chunk * repeats + tail`` deflated in O(len(chunk)) time, true size and CRC.

    A full flush resets the compressor, so the deflate blocks for ``chunk`` are the same bytes
    every time and can be repeated: a gigabyte bomb is built without compressing a gigabyte.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    head_blocks = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    chunk_blocks = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail_blocks = compressor.compress(tail) + compressor.flush()
    crc = zlib.crc32(head)
    for _ in range(repeats):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return ZipEntry(
        name,
        head_blocks + chunk_blocks * repeats + tail_blocks,
        crc,
        len(head) + len(chunk) * repeats + len(tail),
    )


def zip_bomb_docx(expanded_bytes: int, paragraph_text: str = "a" * 16) -> bytes:
    """A valid DOCX whose word/document.xml inflates to about ``expanded_bytes`` of paragraphs.

    Real Word markup, real core properties: python-docx reads it like any document, and an
    unguarded reader builds one XML element per tag of it.
    """
    entries = docx_entries()
    original = next(entry for entry in entries if entry.name == "word/document.xml")
    xml = zlib.decompress(original.compressed, -15)
    split = xml.index(b"<w:body>") + len(b"<w:body>")
    paragraph = f"<w:p><w:r><w:t>{paragraph_text}</w:t></w:r></w:p>".encode()
    chunk = paragraph * (1024 * 1024 // len(paragraph))
    repeats = max(1, (expanded_bytes - len(xml)) // len(chunk))
    bomb = repeated_deflate("word/document.xml", xml[:split], chunk, repeats, xml[split:])
    return write_zip(replace_entry(entries, bomb))


def yaml_alias_bomb(body: str = "The body of the document.\n", levels: int = 9) -> str:
    """Markdown whose front matter is a YAML "billion laughs": 9**levels strings as its title."""
    names = "abcdefghijklmnop"[:levels]
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for previous, name in itertools.pairwise(names):
        lines.append(f"{name}: &{name} [{','.join([f'*{previous}'] * 9)}]")
    return "---\n" + "\n".join(lines) + f"\ntitle: *{names[-1]}\n---\n" + body
