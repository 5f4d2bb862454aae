"""Real-world PDFs for the PDF rows: the test files in pypdf's source distribution on PyPI.

fpdf2's PDFs (``corpora.make_pdfs``) are one standard font and plain text, where pypdf is at its
fastest. pypdf's sdist ships its test files (``resources/``, 72 PDFs): files from its bug
reports and from AutoCAD, LibreOffice, pdfTeX, Acrobat and Evince forms, ImageMagick, OCR
tools, an 8 MB scanned-and-OCRed book (``issue-604.pdf``) and password-protected ones. They are
fetched with pip (PyPI only), the archive's sha256 is checked against the pinned one, and the
PDFs that both pypdfium2 (our reader) and pypdf read are kept, in ``benchmarks/.cache/``
(git-ignored): the password-protected ones are left out, and why, in ``corpus.json``. Files
that read but hold no text (scans, drawings) stay: a real corpus has them too.

The files are not redistributed here. pypdf is BSD-3-Clause licensed (Copyright (c) 2006-2008,
Mathieu Fenniak; pypdf contributors); see ``LICENSE`` in the same archive.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import tarfile
import warnings
from dataclasses import dataclass
from pathlib import Path

REQUIREMENT = "pypdf==7.1.1"
ARCHIVE = "pypdf-7.1.1.tar.gz"
#: PyPI's sha256 of ARCHIVE (https://pypi.org/project/pypdf/7.1.1/#files).
SHA256 = "2eff4e2fc5fb22a6d6711e6f1166cdc9ab5765d90cd0d77dfea3f4aa91a27b1d"
RESOURCES = "pypdf-7.1.1/resources/"
CACHE = Path(__file__).parent / ".cache"
#: Seconds pip may take to fetch the archive (and the build backend it reads metadata with).
DOWNLOAD_SECONDS = 600


class Unavailable(Exception):
    """The real PDFs cannot be had here (no network, a changed archive): the rows say why."""


@dataclass(frozen=True)
class RealPdfs:
    folder: Path
    note: str
    #: Files read whole but with no text (scans, drawings): the engine records them as failed
    #: documents ("no extractable text"), as it would in a real corpus.
    without_text: frozenset[str]


def real_pdfs(cache: Path = CACHE) -> RealPdfs:
    """The usable real PDFs, fetched and checked once, then reused; raises Unavailable with
    the reason."""
    folder = cache / "pypdf-7.1.1-pdfs"
    if not (folder / "corpus.json").exists():
        archive = _download(cache)
        staging = cache / "pypdf-7.1.1-pdfs.partial"
        shutil.rmtree(staging, ignore_errors=True)
        _extract(archive, staging)
        _keep_usable(staging)
        shutil.rmtree(folder, ignore_errors=True)
        staging.rename(folder)
    corpus = json.loads((folder / "corpus.json").read_text())
    note = (
        f"{len(corpus['usable'])} real PDFs ({REQUIREMENT} sdist test files; "
        f"{len(corpus['excluded'])} with passwords left out, "
        f"{len(corpus['without_text'])} without text)"
    )
    return RealPdfs(folder, note, frozenset(corpus["without_text"]))


def _download(cache: Path) -> Path:
    cache.mkdir(parents=True, exist_ok=True)
    archive = cache / ARCHIVE
    if not archive.exists():
        command = [sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "-q"]
        command += ["--no-deps", "--no-binary", ":all:", REQUIREMENT, "--dest", str(cache)]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=DOWNLOAD_SECONDS, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise Unavailable(f"pip download {REQUIREMENT} took over {exc.timeout:g} s") from exc
        if done.returncode != 0 or not archive.exists():
            reason = (done.stderr.strip().splitlines() or ["no archive"])[-1]
            raise Unavailable(f"pip download {REQUIREMENT} failed: {reason[:200]}")
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    if digest != SHA256:
        archive.unlink()
        raise Unavailable(f"{ARCHIVE} has sha256 {digest}, not the pinned {SHA256}")
    return archive


def _extract(archive: Path, folder: Path) -> None:
    """The PDFs under ``resources/``, as flat names (``encryption/r2.pdf`` becomes
    ``encryption__r2.pdf``); only regular files are read, nothing is written outside ``folder``."""
    folder.mkdir(parents=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = member.name
            if not (member.isfile() and name.startswith(RESOURCES) and name.endswith(".pdf")):
                continue
            flat = name[len(RESOURCES) :].replace("/", "__")
            source = tar.extractfile(member)
            if source is not None:
                (folder / flat).write_bytes(source.read())


def _keep_usable(folder: Path) -> None:
    """Keep the PDFs that both libraries read whole; the others go, their reason recorded."""
    from pypdf import PdfReader

    from llm_lineage.extraction.readers.pdf import read_pdf

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # malformed files are the point
    usable, without_text, excluded = [], [], {}
    for path in sorted(folder.glob("*.pdf")):
        try:
            if not read_pdf(path.read_bytes()).text.strip():
                without_text.append(path.name)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for page in PdfReader(path).pages:
                    page.extract_text()
        except Exception as exc:  # the reason is recorded; the file is not benchmarked
            excluded[path.name] = f"{type(exc).__name__}: {exc}"[:200]
            path.unlink()
        else:
            usable.append(path.name)
    record = {
        "source": REQUIREMENT,
        "sha256": SHA256,
        "usable": usable,
        "without_text": without_text,
        "excluded": excluded,
    }
    (folder / "corpus.json").write_text(json.dumps(record, indent=2) + "\n")
