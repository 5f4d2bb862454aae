"""Extraction as cores and corpus grow: real PDFs (pypdf's test files, ``real_pdfs.py``) at 1x,
10x and 100x, with 0 (the task's process), 1, 2 and more reader processes, against a bare
one-core pypdfium2 loop on the same files in the same run; with the peak memory of the task's
process and of a reader.

Each side runs in a fresh interpreter (``harness.python_in_subprocess``), so a peak is one
process's, and the sides alternate. Copies are hard links: 100x takes no disk.
"""

from __future__ import annotations

import os
from pathlib import Path

from harness import Row, python_in_subprocess

OURS = r"""
import json, logging, resource, sys, tempfile, time
from pathlib import Path
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
logging.disable(logging.WARNING)
corpus, workers = Path(sys.argv[1]), int(sys.argv[2])
with tempfile.TemporaryDirectory() as out:
    started = time.perf_counter()
    result = extract_corpus(local_documents(corpus, ["*.pdf"]), corpus.as_uri(), Path(out),
                            ExtractionSettings(workers=workers, progress_interval=3600))
    seconds = time.perf_counter() - started
from llm_lineage.common.resources import peak_memory_bytes  # VmHWM: not the benchmark's peak
print(json.dumps({"seconds": seconds, "peak": peak_memory_bytes(),
                  "reader_peak": result.peak_worker_memory_bytes, "documents": result.documents_seen}))
"""

BARE = r"""
import json, resource, sys, time
from pathlib import Path
import pypdfium2 as pdfium
started = time.perf_counter()
for path in sorted(Path(sys.argv[1]).glob("*.pdf")):
    document = pdfium.PdfDocument(path.read_bytes())
    "\n\n".join(page.get_textpage().get_text_bounded() for page in document)
    document.close()
seconds = time.perf_counter() - started
peak = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
            if line.startswith("VmHWM:"))
print(json.dumps({"seconds": seconds, "peak": peak}))
"""


def _corpus(root: Path, source: Path, copies: int) -> Path:
    folder = root / f"real-x{copies}"
    folder.mkdir(parents=True, exist_ok=True)
    for copy in range(copies):
        for path in sorted(source.glob("*.pdf")):
            os.link(path, folder / f"{copy:03d}-{path.name}")
    return folder


def rows(root: Path, scales: tuple[int, ...] = (1, 10, 100), rounds: int = 2) -> list[Row]:
    from real_pdfs import Unavailable, real_pdfs

    try:
        source = real_pdfs().folder
    except Unavailable as exc:
        return [Row("extraction scaling", "-", "-", 0.0, "-", False, f"not measured: {exc}")]
    cores = len(os.sched_getaffinity(0))
    counts = sorted({0, 1, 2, cores})
    found = []
    for copies in scales:
        corpus = _corpus(root, source, copies)
        best: dict[str, dict[str, float]] = {}
        for _ in range(rounds):
            sides = {"bare": (BARE, ())} | {f"w{n}": (OURS, (str(n),)) for n in counts}
            for name, (code, args) in sides.items():
                measured = python_in_subprocess(code, str(corpus), *args)
                if name not in best or measured["seconds"] < best[name]["seconds"]:
                    best[name] = measured
        found += [_row(copies, n, best[f"w{n}"], best["bare"]) for n in counts]
    return found


def _row(copies: int, workers: int, ours: dict[str, float], bare: dict[str, float]) -> Row:
    ratio = bare["seconds"] / ours["seconds"]
    target = 0.95 if workers <= 1 else 0.8 * workers
    who = "in the task's process" if workers == 0 else f"{workers} reader(s)"
    reader = ours.get("reader_peak") or 0
    return Row(
        f"real PDFs x{copies} ({int(ours['documents'])} files), {who} vs bare pypdfium2",
        f"{ours['seconds']:.2f} s",
        f"{bare['seconds']:.2f} s",
        ratio,
        f">= {target:g}x",
        ratio >= target,
        f"task {ours['peak'] / 2**20:.0f} MiB, reader {reader / 2**20:.0f} MiB, "
        f"bare {bare['peak'] / 2**20:.0f} MiB",
    )
