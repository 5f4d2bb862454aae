"""``make bench``: every speed, memory and size target, ours against a baseline of the same run.

Makes its corpora, runs each suite, prints one table and writes ``benchmarks/results.json``
(the machine, the rows). Targets are ratios, never times: a noisy machine slows both sides.
``--quick`` shrinks every input for a smoke run (its ratios are not the ones to quote).

Usage: .venv/bin/python benchmarks/run.py [--quick] [--only extraction,tokenization,...]
       [--pdfs FOLDER_OF_YOUR_PDFS] [--real-pdfs] [--rounds 2]

``--real-pdfs`` adds the PDF baselines on real-world PDFs: pypdf's test files, fetched once from
PyPI into ``benchmarks/.cache/`` (``real_pdfs.py``); ``make bench`` passes it. ``--rounds``: more
timed runs per side of each extraction row, for a busy machine (the best of each side counts).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import bench_curation
import bench_embedding
import bench_extraction
import bench_lineage
import bench_scaling
import bench_tokenization
import bench_training
import distributed_training
from harness import Row, machine, table, write_json


def suites(
    quick: bool, pdfs: Path | None, real_pdfs: bool = False
) -> dict[str, Callable[[Path], list[Row]]]:
    scale = 0.25 if quick else 1.0
    return {
        "extraction": lambda root: bench_extraction.rows(root, scale, pdfs, real_pdfs),
        "scaling": lambda root: bench_scaling.rows(root, (1, 10) if quick else (1, 10, 100)),
        "tokenization": lambda root: bench_tokenization.rows(root, 2_000 if quick else 10_000),
        "curation": lambda root: bench_curation.rows(root, 500 if quick else 2_000),
        "events": lambda root: bench_lineage.event_size_rows(
            root, (10, 100, 1_000) if quick else (10, 1_000, 100_000)
        ),
        "overhead": lambda root: bench_lineage.overhead_rows(root, 100 if quick else 1_000),
        "fingerprint": lambda root: [bench_training.fingerprint_row(root, 16 if quick else 256)],
        "training": lambda root: [bench_training.lora_row(root, 128 if quick else 512)],
        "distributed": lambda root: distributed_training.rows(root, 128 if quick else 256),
        "embedding": lambda root: bench_embedding.rows(root, 50 if quick else 200),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated suites")
    parser.add_argument("--json", default=str(Path(__file__).parent / "results.json"))
    parser.add_argument("--pdfs", type=Path, help="a folder of your PDFs for the PDF rows")
    parser.add_argument(
        "--real-pdfs", action="store_true", help="also the PDF baselines on pypdf's test PDFs"
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="timed runs per side of each extraction row"
    )
    arguments = parser.parse_args()
    bench_extraction.ROUNDS = arguments.rounds
    chosen = suites(arguments.quick, arguments.pdfs, arguments.real_pdfs)
    names = [n for n in arguments.only.split(",") if n] or list(chosen)
    started = time.perf_counter()
    rows: list[Row] = []
    print(f"machine: {machine()}", flush=True)
    for name in names:
        with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as folder:
            suite_started = time.perf_counter()
            found = chosen[name](Path(folder))
            rows += found
            print(f"[{name}: {time.perf_counter() - suite_started:.0f} s]", flush=True)
            print(table(found), flush=True)
    print("\n" + table(rows))
    write_json(Path(arguments.json), rows, time.perf_counter() - started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
