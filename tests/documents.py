"""Builders for real documents of every supported format, good and bad, made by real libraries."""

from __future__ import annotations

import datetime as dt
import io
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
