"""Governance report speed: ``llm-lineage report`` work on 100,000 events against a baseline.

The events are shaped like this provider's (START and COMPLETE of extract, tokenize and
fine-tune, with the custom facets, dataset versions and statistics), written as JSON lines:
pipelines over 50 corpora into 500 output folders, so datasets have many versions and copies.
The baseline, measured in the same run on the same file, is plain ``json.loads`` of every line;
the report reads and parses the same lines, folds them into runs, builds the index and answers
usage, cost and a trace. Prints both times and their ratio (target: the whole report within a
few seconds, a small multiple of parsing alone).

Usage: .venv/bin/python benchmarks/report_speed.py [--events 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from llm_lineage.report.cost import cost
from llm_lineage.report.load import from_events
from llm_lineage.report.trace import trace
from llm_lineage.report.usage import usage

PRODUCER = "https://github.com/apache/airflow/tree/providers-openlineage/2.20.3"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)


def facet(**fields: Any) -> dict[str, Any]:
    return {"_producer": PRODUCER, "_schemaURL": "https://example/facet.json", **fields}


def dataset(name: str, version: str, io: str | None = None, **facets: Any) -> dict[str, Any]:
    item = {
        "namespace": "file",
        "name": name,
        "facets": {"version": facet(datasetVersion=version), **facets},
    }
    if io:
        item[io] = {io.replace("Facets", "Statistics"): facet(size=20_000, rowCount=12)}
    return item


def collection(corpus: int) -> dict[str, Any]:
    return facet(
        documentCount=12,
        failedDocumentCount=0,
        totalBytes=121_885,
        formats=[{"format": f, "documentCount": 2} for f in ("pdf", "docx", "html", "text")],
        authorPolicy="include",
        authors=[{"name": f"Author {a}", "documentCount": 2} for a in range(5)],
        created={"earliest": "2023-04-12", "latest": "2024-11-27"},
        manifestUri=f"file:///data/c{corpus}/manifest.parquet",
    )


def pipeline(index: int) -> list[dict[str, Any]]:
    """Six events of one pipeline run (START and COMPLETE of three tasks)."""
    corpus, folder, when = index % 50, f"/data/p{index % 500}", T0 + dt.timedelta(minutes=index)
    text, tokens, adapter = (
        f"{folder}/text.parquet",
        f"{folder}/tokens.parquet",
        f"{folder}/adapter",
    )
    steps = [
        ("extract", [dataset(f"/corpora/c{corpus}", f"c{corpus}", "inputFacets", llmLineage_documentCollection=collection(corpus))],
         [dataset(text, f"t{corpus}", "outputFacets")]),
        ("tokenize", [dataset(text, f"t{corpus}", "inputFacets")],
         [dataset(tokens, f"k{index % 700}", "outputFacets", llmLineage_tokenization=facet(tokens=5120, sequences=40))]),
        ("fine_tune", [dataset(tokens, f"k{index % 700}", "inputFacets"), dataset("/models/base", "b0")],
         [dataset(adapter, f"a{index}", "outputFacets", llmLineage_loraAdapter=facet(r=8, alpha=16))]),
    ]  # fmt: skip
    events = []
    for offset, (task, inputs, outputs) in enumerate(steps):
        run = f"00000000-0000-0000-{offset:04d}-{index:012d}"
        usage = facet(
            wallSeconds=1.5,
            cpuSeconds=1.2,
            itemsProcessed=12,
            itemUnit="documents",
            computeSeconds=1.5,
            estimatedCost=0.001,
            currency="USD",
        )
        for kind, seconds in (("START", 0), ("COMPLETE", 20)):
            events.append({
                "eventType": kind,
                "eventTime": (when + dt.timedelta(seconds=offset * 30 + seconds)).isoformat(),
                "producer": PRODUCER,
                "run": {"runId": run, "facets": {"parent": facet(job={"namespace": "ns", "name": "pipeline"}), **({"llmLineage_resourceUsage": usage} if kind == "COMPLETE" else {})}},
                "job": {"namespace": "ns", "name": f"pipeline.{task}"},
                "inputs": inputs,
                "outputs": outputs,
            })  # fmt: skip
    return events


def write_events(path: Path, count: int) -> int:
    written = 0
    with path.open("w") as handle:
        index = 0
        while written < count:
            for event in pipeline(index)[: count - written]:
                handle.write(json.dumps(event) + "\n")
                written += 1
            index += 1
    return path.stat().st_size


def baseline(path: Path) -> float:
    started = time.perf_counter()
    with path.open("rb") as handle:
        parsed = [json.loads(line) for line in handle]
    assert parsed
    return time.perf_counter() - started


def report(path: Path) -> tuple[float, dict[str, float]]:
    phases: dict[str, float] = {}
    started = time.perf_counter()
    lineage = from_events(path)
    phases["read, fold, index"] = time.perf_counter() - started
    mark = time.perf_counter()
    usage(lineage, T0 + dt.timedelta(days=120), 30)
    phases["usage"] = time.perf_counter() - mark
    mark = time.perf_counter()
    cost(lineage)
    phases["cost"] = time.perf_counter() - mark
    mark = time.perf_counter()
    key = lineage.find("/data/p7/adapter")
    assert key is not None and trace(lineage, key).inputs
    phases["trace"] = time.perf_counter() - mark
    return time.perf_counter() - started, phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "events.jsonl"
        size = write_events(path, args.events)
        parse_seconds = baseline(path)
        report_seconds, phases = report(path)
    print(f"{args.events:,} events, {size / 2**20:,.1f} MiB of JSON lines")
    print(f"baseline (json.loads of every line): {parse_seconds:6.2f} s")
    print(f"report (read, fold, usage, cost, trace): {report_seconds:6.2f} s")
    for phase, seconds in phases.items():
        print(f"  {phase:<20} {seconds:6.2f} s")
    print(f"ratio report / baseline: {report_seconds / parse_seconds:.2f}")


if __name__ == "__main__":
    main()
