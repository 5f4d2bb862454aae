"""The whole pipeline on real object storage: documents and outputs in ``s3://``.

An S3-compatible server (moto's server mode, ``s3_fixtures.py``) runs on 127.0.0.1 inside the
test process. One DAG run reads the corpus from the bucket and writes every output back to it;
a second run of the same DAG on the same corpus on local disk is the reference: every dataset
version must match, only the names differ. The S3 run points TMPDIR at a fresh folder whose size
is sampled while it runs, to show that documents are streamed and that local disk holds only the
outputs being staged. Publishing on S3 is tested in ``test_object_storage_publishing.py``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from airflow_db import read_bytes_elsewhere
from conftest import TESTS, DagRun, RunDag
from llm_lineage.storage.staging import STAGING_PREFIX
from lora_fixtures import tiny_base
from s3_fixtures import ACCESS_KEY, BUCKET, CONN_ID, S3, SECRET_KEY

pytestmark = pytest.mark.dag

SAMPLE_CORPUS = TESTS.parent / "example_dags" / "data" / "sample_corpus"
DAG_FILE = TESTS / "dags" / "object_storage_pipeline.py"
#: Large HTML documents whose text is one sentence: the corpus outweighs every output.
PADDING_DOCUMENTS = 16
PADDING_BYTES = 256 * 1024


def make_corpus(root: Path) -> Path:
    """The sample corpus plus large HTML pages (a big script, one sentence of text each)."""
    shutil.copytree(SAMPLE_CORPUS, root)
    (root / "archive").mkdir()
    script = ("var lineage = 'padding';\n" * (PADDING_BYTES // 25 + 1))[:PADDING_BYTES]
    for index in range(PADDING_DOCUMENTS):
        (root / "archive" / f"page-{index:02d}.html").write_text(
            f"<html><head><title>Archive page {index}</title><script>{script}</script></head>"
            f"<body><p>Archive page {index} keeps the river stone garden notes of week "
            f"{index}.</p></body></html>",
            encoding="utf-8",
        )
    return root


def upload(client: Any, folder: Path, prefix: str) -> int:
    """Every file under ``folder`` to ``prefix``/...; returns the bytes uploaded."""
    total = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(folder).as_posix()}")
        total += path.stat().st_size
    return total


def objects(client: Any, prefix: str) -> dict[str, bytes]:
    """Key → content of every object under ``prefix``/."""
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"{prefix}/")
    keys = [item["Key"] for page in pages for item in page.get("Contents", [])]
    return {key: client.get_object(Bucket=BUCKET, Key=key)["Body"].read() for key in keys}


class DiskPeak:
    """Samples the bytes in a folder every few milliseconds from a thread; keeps the peak.

    A sample can miss a short peak, never invent one: ``peak`` is a lower bound of the real
    peak, and ``files`` is what the folder held at the largest sample.
    """

    def __init__(self, folder: Path, interval: float = 0.01) -> None:
        self.folder = folder
        self.interval = interval
        self.peak = 0
        self.files: dict[str, int] = {}
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> DiskPeak:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.is_set():
            files = folder_files(self.folder)
            self.samples += 1
            if sum(files.values()) > self.peak:
                self.peak, self.files = sum(files.values()), files
            time.sleep(self.interval)


def folder_files(folder: Path) -> dict[str, int]:
    """Relative path → size of every file under ``folder`` (files vanishing meanwhile skipped)."""
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = Path(root) / name
            try:
                found[path.relative_to(folder).as_posix()] = path.lstat().st_size
            except OSError:
                continue
    return found


@dataclass
class Pipelines:
    """The S3 run and its local twin over one corpus, with what the S3 run left behind."""

    s3_run: DagRun
    local_run: DagRun
    local_corpus: Path
    local_out: Path
    base: Path
    corpus_bytes: int
    tmpdir: Path
    disk: DiskPeak
    outputs: dict[str, bytes]
    seconds: dict[str, float] = field(default_factory=dict)


@pytest.fixture(scope="module")
def pipelines(s3: S3, run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> Pipelines:
    """Run the pipeline once from and to ``s3://`` (TMPDIR sampled), once on local disk."""
    root = tmp_path_factory.mktemp("object-storage")
    corpus = make_corpus(root / "corpus")
    base = tiny_base(root / "base")
    corpus_bytes = upload(s3.client, corpus, "corpus")
    tmpdir = root / "tmp"
    tmpdir.mkdir()
    common = {"TEST_BASE": str(base)}
    seconds = {}
    started = time.perf_counter()
    with DiskPeak(tmpdir) as disk:
        s3_run = run_dag(
            DAG_FILE,
            "object_storage_pipeline",
            env={
                **common,
                **s3.env,
                "TEST_CORPUS": f"s3://{BUCKET}/corpus",
                "TEST_OUTPUT": f"s3://{BUCKET}/out",
                "TEST_CONN_ID": CONN_ID,
                "TMPDIR": str(tmpdir),
            },
        )
    seconds["s3"] = time.perf_counter() - started
    assert s3_run.returncode == 0, s3_run.output[-5000:]
    started = time.perf_counter()
    local_out = root / "local-out"
    local_run = run_dag(
        DAG_FILE,
        "object_storage_pipeline",
        env={**common, "TEST_CORPUS": str(corpus), "TEST_OUTPUT": str(local_out)},
    )
    seconds["local"] = time.perf_counter() - started
    assert local_run.returncode == 0, local_run.output[-5000:]
    outputs = objects(s3.client, "out")
    return Pipelines(
        s3_run, local_run, corpus, local_out, base, corpus_bytes, tmpdir, disk, outputs, seconds
    )


def datasets(run: DagRun) -> dict[str, list[tuple[str, str, str | None]]]:
    """Per task: (namespace, name, version) of its inputs and then its outputs, as reported."""
    found = {}
    for task_id in ("extract_documents", "tokenize", "fine_tune"):
        event = run.of(task_id, "COMPLETE")
        found[task_id] = [
            (
                d["namespace"],
                d["name"],
                d.get("facets", {}).get("version", {}).get("datasetVersion"),
            )
            for d in [*event["inputs"], *event["outputs"]]
        ]
    return found


def test_s3_run_names_datasets_by_bucket_and_key_with_the_local_versions(
    pipelines: Pipelines,
) -> None:
    """Namespace ``s3://bucket``, name the key; versions are those of the same corpus run locally."""
    s3_sets, local_sets = datasets(pipelines.s3_run), datasets(pipelines.local_run)
    bucket = f"s3://{BUCKET}"
    base = str(pipelines.base)
    assert [(ns, name) for ns, name, _ in s3_sets["extract_documents"]] == [
        (bucket, "corpus"),
        (bucket, "out/extracted/text.parquet"),
        (bucket, "out/extracted/manifest.parquet"),
    ]
    assert [(ns, name) for ns, name, _ in s3_sets["tokenize"]] == [
        (bucket, "out/extracted/text.parquet"),
        (bucket, "out/tokens/tokens.parquet"),
    ]
    assert [(ns, name) for ns, name, _ in s3_sets["fine_tune"]] == [
        (bucket, "out/tokens/tokens.parquet"),
        ("file", base),
        (bucket, "out/adapter"),
    ]
    assert local_sets["extract_documents"][0][:2] == ("file", str(pipelines.local_corpus))
    for task_id, found in s3_sets.items():
        versions = [version for _, _, version in found]
        assert None not in versions, (task_id, found)
        assert versions == [version for _, _, version in local_sets[task_id]], task_id
    collection = pipelines.s3_run.of("extract_documents", "COMPLETE")["inputs"][0]["facets"]
    assert collection["llmLineage_documentCollection"]["documentCount"] == 15 + PADDING_DOCUMENTS
    assert sorted(pipelines.outputs) == [
        "out/adapter/README.md",
        "out/adapter/adapter_config.json",
        "out/adapter/adapter_model.safetensors",
        "out/adapter/training_metrics.json",
        "out/extracted/manifest.parquet",
        "out/extracted/text.parquet",
        "out/tokens/tokens.parquet",
    ]  # no lock, no staging left on the bucket
    manifest = pq.read_table(io.BytesIO(pipelines.outputs["out/extracted/manifest.parquet"]))
    assert all(
        uri.startswith(f"s3://{BUCKET}/corpus/") for uri in manifest["source_uri"].to_pylist()
    )


def secret_forms() -> list[bytes]:
    """Each fake credential as written, and percent-encoded (as it would be inside a URL)."""
    forms = {ACCESS_KEY, SECRET_KEY, urllib.parse.quote(SECRET_KEY, safe="")}
    return sorted(form.encode() for form in forms)


def test_credentials_appear_in_no_event_log_stored_field_or_file(
    pipelines: Pipelines, airflow_home: Path
) -> None:
    """Scans everything the S3 run wrote: events, its output, task logs, the metadata DB,
    every output object, and what is left in TMPDIR. The connection id is no secret, but a
    dataset name never carries it either (``conn_id@bucket``)."""
    places: dict[str, bytes] = {
        "events": json.dumps(pipelines.s3_run.events).encode(),
        "airflow dags test output": pipelines.s3_run.output.encode(),
        **{  # with its write-ahead log; read by another process (see ``read_bytes_elsewhere``)
            f"metadata database ({path.name})": read_bytes_elsewhere(path)
            for path in sorted(airflow_home.glob("airflow.db*"))
        },
        **{f"s3://{BUCKET}/{key}": data for key, data in pipelines.outputs.items()},
    }
    logs = airflow_home / "logs"
    for path in logs.rglob("*") if logs.is_dir() else []:
        if path.is_file() and "object_storage_pipeline" in str(path):
            places[str(path)] = path.read_bytes()
    for name in folder_files(pipelines.tmpdir):
        places[f"TMPDIR/{name}"] = (pipelines.tmpdir / name).read_bytes()
    assert len(places) > 9
    leaks = [
        (where, form) for where, data in places.items() for form in secret_forms() if form in data
    ]
    assert leaks == []
    names = [name for found in datasets(pipelines.s3_run).values() for _, name, _ in found]
    assert not [name for name in names if CONN_ID in name or "@" in name]


def unit_bytes(outputs: dict[str, bytes], *keys: str) -> int:
    return sum(len(data) for key, data in outputs.items() if key.startswith(keys))


def test_documents_stream_through_bounded_local_disk(pipelines: Pipelines) -> None:
    """Local temporary disk holds one step's staged unit (plus its input's copy), never documents.

    Documents are read one at a time (at most one per reader process in flight), into memory,
    bounded by ``max_document_bytes``; only the Parquet outputs are staged on disk before they
    are uploaded, and tokenization and training download the one file they read.
    """
    outputs = pipelines.outputs
    text = unit_bytes(outputs, "out/extracted/text.parquet")
    tokens = unit_bytes(outputs, "out/tokens/")
    largest_step = max(
        unit_bytes(outputs, "out/extracted/"),  # extraction: text + manifest
        text + tokens,  # tokenization: its copy of the text, the tokens
        tokens + unit_bytes(outputs, "out/adapter/"),  # training: its copy, the adapter
    )
    disk = pipelines.disk
    report = (
        f"corpus {pipelines.corpus_bytes} B, peak TMPDIR {disk.peak} B over {disk.samples} "
        f"samples, largest step's files {largest_step} B; "
        f"s3 run {pipelines.seconds['s3']:.1f}s, local run {pipelines.seconds['local']:.1f}s; "
        f"at the peak: {disk.files}"
    )
    print(report)
    assert disk.samples > 100, report
    assert 0 < disk.peak <= largest_step + 16 * 1024, report
    assert disk.peak * 20 < pipelines.corpus_bytes, report
    assert all(STAGING_PREFIX in name for name in disk.files), report
    assert folder_files(pipelines.tmpdir) == {}, "staging left in TMPDIR"
