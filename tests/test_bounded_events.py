"""A run over 10,000 documents emits a COMPLETE event under 256 KB; detail lives in the manifest."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import TESTS, RunDag

pytestmark = pytest.mark.dag

DOCUMENTS = 10_000
EMPTY = 120  # failures: more than the error list keeps
AUTHORS = 500  # distinct authors: more than the author list keeps
MAX_EVENT_BYTES = 256 * 1024


def _make_corpus(root: Path) -> None:
    for index in range(DOCUMENTS - EMPTY):
        folder = root / f"shard-{index % 20:02d}"
        folder.mkdir(exist_ok=True)
        (folder / f"doc-{index:05d}.md").write_text(
            f"---\ntitle: Document {index}\nauthor: Author {index % AUTHORS}\n"
            f"date: 2020-01-{index % 28 + 1:02d}\n---\nBody of document {index}.\n"
        )
    for index in range(EMPTY):
        (root / f"empty-{index:03d}.txt").write_bytes(b"")


def test_complete_event_stays_small(run_dag: RunDag, tmp_path: Path) -> None:
    corpus, out = tmp_path / "corpus", tmp_path / "out"
    corpus.mkdir()
    _make_corpus(corpus)
    run = run_dag(
        TESTS / "dags" / "extraction_scale.py",
        "extraction_scale",
        env={"TEST_CORPUS": str(corpus), "TEST_OUTPUT": str(out)},
    )
    assert run.returncode == 0, run.output[-5000:]
    event = run.of("extract_10k", "COMPLETE")
    size = len(json.dumps(event).encode())
    assert size < MAX_EVENT_BYTES, size

    collection = event["inputs"][0]["facets"]["llmLineage_documentCollection"]
    assert collection["documentCount"] == DOCUMENTS - EMPTY
    assert collection["distinctAuthorCount"] == AUTHORS
    assert collection["authorsTruncated"] is True
    assert len(collection["authors"]) == 50
    assert len(collection["sample"]) == 10
    errors = event["run"]["facets"]["extractionError"]
    assert errors["failedTasks"] == EMPTY
    assert len(errors["errors"]) == 50
    manifest = pq.read_table(out / "manifest.parquet", columns=["status"]).column("status")
    assert manifest.to_pylist().count("failed") == EMPTY
    assert len(manifest) == DOCUMENTS
    assert "Extracted: " in run.output and f"/{DOCUMENTS} documents" in run.output
