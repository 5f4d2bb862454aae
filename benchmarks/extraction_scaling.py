"""Extraction at growing corpus sizes: memory stays flat, events stay small.

Runs each measurement in a fresh subprocess (peak RSS is per process) and prints ratios
against a baseline measured in the same run:

- streaming memory at 4x the documents / at 1x (target: about 1.0; memory must not grow);
- the same ratio for a naive baseline that holds every row before writing one table;
- COMPLETE-event size (facets for the whole run) at 1x and 4x (target: flat, under 256 KB).

Usage: .venv/bin/python benchmarks/extraction_scaling.py [--documents 2000] [--kb 8]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

WORKER = r"""
import json, resource, sys, time
from pathlib import Path
import pyarrow as pa, pyarrow.parquet as pq
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
from llm_lineage.extraction.tables import TEXT_SCHEMA

corpus, out, mode = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
documents = local_documents(corpus, ["*.md"])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if mode == "stream":
    result = extract_corpus(documents, corpus.as_uri(), out, ExtractionSettings(progress_interval=3600))
    rows = result.summary.documents
else:  # baseline: every row in memory, one table at the end
    rows_list = [{"doc_id": d.relative_path, "source_uri": d.uri, "relative_path": d.relative_path,
                  "text": d.read().decode()} for d in documents]
    pq.write_table(pa.Table.from_pylist(rows_list, schema=TEXT_SCHEMA), out / "text.parquet")
    rows = len(rows_list)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"rows": rows, "peak_kb": peak, "base_kb": before,
                  "seconds": time.perf_counter() - started}))
"""


def make_corpus(root: Path, documents: int, kilobytes: int) -> None:
    paragraph = "Lineage lets a catalog trace a model back to its documents. " * 16
    body = (paragraph + "\n\n") * max(1, kilobytes * 1024 // (len(paragraph) + 2))
    for index in range(documents):
        (root / f"doc-{index:06d}.md").write_text(
            f"---\ntitle: Doc {index}\nauthor: Author {index % 300}\n---\n{index}\n{body}"
        )


def measure(corpus: Path, mode: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as out:
        output = subprocess.run(
            [sys.executable, "-c", WORKER, str(corpus), out, mode],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def event_bytes(corpus: Path) -> int:
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.serde import Serde

    from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
    from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage

    with tempfile.TemporaryDirectory() as out:
        settings = ExtractionSettings(progress_interval=3600)
        result = extract_corpus(
            local_documents(corpus, ["*.md"]), corpus.as_uri(), Path(out), settings
        )
        plan = ExtractionPlan(
            source=str(corpus),
            text=f"{out}/text.parquet",
            manifest=f"{out}/manifest.parquet",
            settings=settings,
        )
        lineage = extraction_lineage(plan, result)
        event = RunEvent(
            eventType=RunState.COMPLETE,
            eventTime="2026-01-01T00:00:00Z",
            run=Run(runId=str(uuid.uuid4()), facets=lineage.run_facets),
            job=Job(namespace="bench", name="extract", facets=lineage.job_facets),
            inputs=lineage.inputs,
            outputs=lineage.outputs,
            producer="https://example.com/bench",
        )
        return len(Serde.to_json(event).encode())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=2000)
    parser.add_argument("--kb", type=int, default=8, help="size of each document")
    args = parser.parse_args()
    results: dict[str, dict[int, dict[str, float]]] = {"stream": {}, "baseline": {}}
    sizes: dict[int, int] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for factor in (1, 4):
            corpus = Path(tmp) / f"x{factor}"
            corpus.mkdir()
            make_corpus(corpus, args.documents * factor, args.kb)
            for mode in results:
                results[mode][factor] = measure(corpus, mode)
            sizes[factor] = event_bytes(corpus)
    for mode, runs in results.items():
        peaks = [r["peak_kb"] / 1024 for r in (runs[1], runs[4])]
        print(
            f"{mode:9s} peak RSS {peaks[0]:7.1f} MiB at {args.documents} docs, "
            f"{peaks[1]:7.1f} MiB at {4 * args.documents} docs; ratio 4x/1x = "
            f"{peaks[1] / peaks[0]:.2f}; {runs[4]['rows'] / runs[4]['seconds']:.0f} docs/s"
        )
    print(
        f"COMPLETE event: {sizes[1]} bytes at 1x, {sizes[4]} bytes at 4x; ratio {sizes[4] / sizes[1]:.2f}"
    )
    print(f"self peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")


if __name__ == "__main__":
    main()
