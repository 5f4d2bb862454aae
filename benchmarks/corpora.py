"""Benchmark corpora, made here (no network): PDFs with fpdf2, DOCX with python-docx, HTML.

Text is varied prose from a fixed seed, several pages per PDF, so parsing dominates (not file
opening) as in real documents.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

WORDS = [
    "lineage",
    "catalog",
    "document",
    "author",
    "model",
    "token",
    "adapter",
    "corpus",
    "dataset",
    "version",
    "river",
    "stone",
    "audit",
    "compliance",
    "training",
    "data",
    "extraction",
    "parquet",
    "schema",
    "owner",
    "storage",
    "object",
    "bucket",
    "pipeline",
    "airflow",
    "scheduler",
    "worker",
    "the",
    "a",
    "of",
    "and",
    "to",
    "in",
    "for",
    "with",
    "on",
    "by",
    "from",
]


def sentences(rng: random.Random, count: int) -> str:
    return " ".join(
        " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20))).capitalize() + "."
        for _ in range(count)
    )


def make_pdfs(folder: Path, count: int, pages: int = 6, seed: int = 1) -> Path:
    from fpdf import FPDF

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(count):
        pdf = FPDF()
        pdf.set_font("helvetica", size=10)
        pdf.set_title(f"Report {number}")
        pdf.set_author("Benchmark Author")
        for _ in range(pages):
            pdf.add_page()
            pdf.multi_cell(0, 5, sentences(rng, 40))
        (folder / f"doc{number:05d}.pdf").write_bytes(bytes(pdf.output()))
    return folder


def make_docx(folder: Path, count: int, paragraphs: int = 60, seed: int = 2) -> Path:
    import docx

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(count):
        document = docx.Document()
        for _ in range(paragraphs):
            document.add_paragraph(sentences(rng, 3))
        grid = document.add_table(rows=6, cols=3)
        for row in grid.rows:
            for cell in row.cells:
                cell.text = sentences(rng, 1)
        document.core_properties.author = "Benchmark Author"
        buffer = io.BytesIO()
        document.save(buffer)
        (folder / f"doc{number:05d}.docx").write_bytes(buffer.getvalue())
    return folder


def make_html(folder: Path, count: int, paragraphs: int = 80, seed: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(count):
        body = "".join(
            f"<div class='c'><h2>{sentences(rng, 1)}</h2><p>{sentences(rng, 3)}</p>"
            f"<ul><li>{sentences(rng, 1)}</li><li>{sentences(rng, 1)}</li></ul></div>"
            for _ in range(paragraphs)
        )
        (folder / f"doc{number:05d}.html").write_text(
            "<!doctype html><html><head><meta charset='utf-8'><title>Page</title>"
            "<meta name='author' content='Benchmark Author'><style>p{color:red}</style>"
            f"<script>var x = 1;</script></head><body><nav>menu</nav>{body}</body></html>",
            encoding="utf-8",
        )
    return folder


def make_markdown(folder: Path, count: int, kilobytes: int = 4, seed: int = 4) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(count):
        text = ""
        while len(text) < kilobytes * 1024:
            text += f"## {sentences(rng, 1)}\n\n{sentences(rng, 6)}\n\n"
        (folder / f"doc{number:06d}.md").write_text(text, encoding="utf-8")
    return folder
