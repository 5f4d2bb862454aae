"""What lineage costs: event size as the corpus grows, and a DAG with OpenLineage on vs off.

Event size is measured on the event the provider really sends: the extraction lineage of a
real run, through the one conversion every operator uses (``operator_lineage``, which applies
the final size guard), serialised by openlineage-python.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from harness import Row

from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage

LIMIT = 256 * 1024

DAG = """
import datetime, os, time
from airflow.providers.openlineage.extractors import OperatorLineage
from airflow.sdk import DAG
from llm_lineage.operators.extraction import DocumentExtractionOperator as Ours
class DocumentExtractionOperator(Ours):
    def _timed(self, build):  # the provider's own work alone: our facets left out
        if os.environ.get("BENCH_PROVIDER_ONLY"):
            return OperatorLineage()
        started = time.perf_counter()
        built = build()
        with open(os.environ["BENCH_TIMES"], "a") as times:
            times.write(f"{time.perf_counter() - started}\\n")
        return built
    def get_openlineage_facets_on_start(self):
        return self._timed(super().get_openlineage_facets_on_start)
    def get_openlineage_facets_on_complete(self, task_instance):
        return self._timed(lambda: super(DocumentExtractionOperator, self)
                           .get_openlineage_facets_on_complete(task_instance))
with DAG("bench_lineage_overhead", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(task_id="extract", source=os.environ["BENCH_CORPUS"],
                               destination=os.environ["BENCH_OUT"])
"""


def make_corpus(folder: Path, documents: int, seed: int = 5) -> Path:
    """Markdown with front matter: many distinct authors and dates, the facets' worst case."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    for number in range(documents):
        author = f"Author {rng.randint(0, documents)}"
        day = f"20{rng.randint(10, 25)}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}"
        (folder / f"d{number:06d}.md").write_text(
            f"---\ntitle: Document {number}\nauthor: {author}\ndate: {day}\n---\n"
            f"Text of document {number} about lineage and catalogs.\n"
        )
    return folder


def complete_event_bytes(corpus: Path) -> int:
    from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
    from openlineage.client.serde import Serde

    from llm_lineage.operators.emission import operator_lineage

    with tempfile.TemporaryDirectory() as out:
        settings = ExtractionSettings(workers=0, progress_interval=3600)
        result = extract_corpus(
            local_documents(corpus, ["*.md"]), corpus.as_uri(), Path(out), settings
        )
        plan = ExtractionPlan(
            source=str(corpus),
            text=f"{out}/text.parquet",
            manifest=f"{out}/manifest.parquet",
            settings=settings,
        )
        lineage = operator_lineage(extraction_lineage(plan, result))
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


def event_size_rows(root: Path, sizes: tuple[int, ...] = (10, 1_000, 100_000)) -> list[Row]:
    found = []
    smallest = 0
    for documents in sizes:
        size = complete_event_bytes(make_corpus(root / f"events-{documents}", documents))
        smallest = smallest or size
        found.append(
            Row(
                f"COMPLETE event size, {documents:,} documents",
                f"{size / 1024:.1f} KB",
                f"{smallest / 1024:.1f} KB",
                size / smallest,
                "< 256 KB",
                size < LIMIT,
                "baseline: the 10-document event",
            )
        )
    return found


def _dag_seconds(home: Path, corpus: Path, lineage_on: bool, provider_only: bool = False) -> float:
    """One ``airflow dags test``; ``provider_only``: the operator's lineage methods return
    nothing, so what remains of the cost is the OpenLineage provider's and the transport's."""
    out = Path(tempfile.mkdtemp(prefix="bench-dag-out-", dir=home.parent))  # removed with root
    env = {
        **os.environ,
        **({"BENCH_PROVIDER_ONLY": "1"} if provider_only else {}),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "BENCH_CORPUS": str(corpus),
        "BENCH_OUT": str(out),
        "BENCH_TIMES": str(home / "facet-seconds.txt"),
        "AIRFLOW__OPENLINEAGE__DISABLED": "False" if lineage_on else "True",
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {
                "type": "llm_lineage.transports.spool.SpoolTransport",
                "directory": str(home / "spool"),
                "transport": {
                    "type": "file",
                    "log_file_path": str(home / "events.jsonl"),
                    "append": True,
                },
            }
        ),
    }
    airflow = str(Path(sys.executable).with_name("airflow"))
    started = time.perf_counter()
    done = subprocess.run(
        [airflow, "dags", "test", "bench_lineage_overhead"], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(done.stdout[-3000:] + done.stderr[-3000:])
    return seconds


def overhead_rows(root: Path, documents: int = 1_000, rounds: int = 4) -> list[Row]:
    """The whole of OpenLineage on against off, and what our facets add on top of the
    provider's own per-task and per-DAG-run work (its listener, forks and events).

    ``airflow dags test`` spends 5 to 7 s starting the task, and that start alone varies by
    more than a second from run to run: four alternating rounds, the best of each side. The
    note adds the time our ``get_openlineage_facets_on_*`` methods took, measured inside the
    task (their share of the run, without the start's noise)."""
    home = root / "airflow"
    (home / "dags").mkdir(parents=True)
    (home / "dags" / "bench_lineage_overhead.py").write_text(DAG)
    airflow = str(Path(sys.executable).with_name("airflow"))
    subprocess.run(
        [airflow, "db", "migrate"],
        env={**os.environ, "AIRFLOW_HOME": str(home)},
        check=True,
        capture_output=True,
    )
    corpus = make_corpus(root / "dag-corpus", documents)
    _dag_seconds(home, corpus, True)  # parse and warm once
    on = off = provider = float("inf")
    for _ in range(rounds):  # the three sides alternate, so a burst of load hits all of them
        on = min(on, _dag_seconds(home, corpus, True))
        provider = min(provider, _dag_seconds(home, corpus, True, provider_only=True))
        off = min(off, _dag_seconds(home, corpus, False))
    events = _events_written(home)
    what = f"extraction DAG, {documents:,} documents, OpenLineage on"
    facet_seconds = sum(map(float, (home / "facet-seconds.txt").read_text().split()))
    note = (
        f"airflow dags test, spool + file transport, {events} events written; our facet "
        f"methods: {facet_seconds / (rounds + 1):.2f} s per run"
    )
    return [
        Row(
            f"{what} vs off",
            f"{on:.1f} s",
            f"{off:.1f} s",
            on / off,
            "(the provider's and ours)",
            events > 0,
            note,
        ),
        Row(
            f"{what}: our facets vs none (the provider's own work)",
            f"{on:.1f} s",
            f"{provider:.1f} s",
            on / provider,
            "<= 1.05x",
            on / provider <= 1.05 and events > 0,
            note,
        ),
    ]


def _events_written(home: Path) -> int:
    events_file = home / "events.jsonl"
    for _ in range(100):  # the spool's background forwarder writes them shortly after
        if events_file.exists() and not any((home / "spool" / "pending").glob("*.json")):
            break
        time.sleep(0.1)
    return len(events_file.read_text().splitlines()) if events_file.exists() else 0
