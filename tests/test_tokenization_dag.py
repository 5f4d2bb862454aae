"""A real two-step DAG: extraction then tokenization form one connected, validated graph."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import TESTS, DagRun, RunDag
from corpora import make_mixed_corpus
from tokenizers_fixtures import train_bpe, train_wordpiece

pytestmark = pytest.mark.dag


@pytest.fixture(scope="module")
def pipeline(
    run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DagRun, Path, Path, Path]:
    root = tmp_path_factory.mktemp("tokenization")
    corpus = make_mixed_corpus(root / "corpus")
    bpe = train_bpe(root / "bpe")
    wordpiece = train_wordpiece(root / "wordpiece")
    out = root / "out"
    run = run_dag(
        TESTS / "dags" / "tokenization_pipeline.py",
        "tokenization_pipeline",
        env={
            "TEST_CORPUS": str(corpus),
            "TEST_OUTPUT": str(out),
            "TEST_BPE": str(bpe.parent),
            "TEST_WORDPIECE": str(wordpiece),
        },
    )
    return run, out, bpe, wordpiece


def _ids(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def test_graph_is_connected(pipeline) -> None:
    run, out, _, _ = pipeline
    text = run.of("extract", "COMPLETE")["outputs"][0]
    for task in ("tokenize_chunks", "tokenize_packed"):
        for event_type in ("START", "COMPLETE"):
            event = run.of(task, event_type)
            assert _ids(event["inputs"]) == _ids([text]), (task, event_type)
        complete = run.of(task, "COMPLETE")
        assert (
            complete["inputs"][0]["facets"]["version"]["datasetVersion"]
            == text["facets"]["version"]["datasetVersion"]
        )
    assert _ids(run.of("tokenize_chunks", "COMPLETE")["outputs"]) == [
        ("file", str(out / "chunks" / "tokens.parquet"))
    ]


def test_chunked_output_and_tokenization_facet(pipeline) -> None:
    run, out, bpe, _ = pipeline
    event = run.of("tokenize_chunks", "COMPLETE")
    output = event["outputs"][0]
    table = pq.read_table(out / "chunks" / "tokens.parquet")
    assert table.schema.names == ["doc_id", "chunk_index", "input_ids", "num_tokens"]
    facet = output["facets"]["llmLineage_tokenization"]
    assert facet["tokenizer"]["sha256"] == hashlib.sha256(bpe.read_bytes()).hexdigest()
    assert facet["tokenizer"]["modelType"] == "BPE"
    assert facet["tokenizer"]["preTokenizer"] == "ByteLevel"
    assert "<|endoftext|>" in facet["tokenizer"]["specialTokens"]
    assert (facet["maxLength"], facet["stride"], facet["packing"]) == (32, 8, False)
    assert facet["documentsIn"] == 5
    assert facet["sequences"] == table.num_rows
    assert facet["tokens"] == sum(table.column("num_tokens").to_pylist())
    assert max(table.column("num_tokens").to_pylist()) <= 32
    assert [t["name"] for t in facet["transforms"]] == [
        "unicode_normalize",
        "clean_whitespace",
        "deduplicate",
        "min_length",
    ]
    assert output["outputFacets"]["outputStatistics"]["rowCount"] == table.num_rows
    lineage = output["facets"]["columnLineage"]["fields"]["input_ids"]["inputFields"][0]
    assert (lineage["name"], lineage["field"]) == (event["inputs"][0]["name"], "text")
    usage = event["run"]["facets"]["llmLineage_resourceUsage"]
    assert (usage["itemUnit"], usage["itemsProcessed"]) == ("tokens", facet["tokens"])


def test_transformation_chain_continues_extraction(pipeline) -> None:
    run, _, _, _ = pipeline
    extraction_steps = run.of("extract", "COMPLETE")["outputs"][0]["facets"][
        "llmLineage_transformations"
    ]["steps"]
    chain = run.of("tokenize_chunks", "COMPLETE")["outputs"][0]["facets"][
        "llmLineage_transformations"
    ]
    steps = chain["steps"]
    assert steps[: len(extraction_steps)] == extraction_steps
    assert [s["name"] for s in steps[len(extraction_steps) :]] == [
        "unicode_normalize",
        "clean_whitespace",
        "deduplicate",
        "min_length",
        "encode",
        "chunk",
        "write_parquet",
    ]
    assert {s["step"] for s in steps[len(extraction_steps) :]} == {"tokenization"}
    assert chain["fingerprint"] == steps[-1]["fingerprint"]
    assert len({s["fingerprint"] for s in steps}) == len(steps)


def test_packed_output(pipeline) -> None:
    run, out, _, _ = pipeline
    facet = run.of("tokenize_packed", "COMPLETE")["outputs"][0]["facets"]["llmLineage_tokenization"]
    table = pq.read_table(out / "packed" / "tokens.parquet")
    assert table.schema.names == ["block_index", "input_ids", "num_tokens", "doc_ids"]
    assert set(table.column("num_tokens").to_pylist()) == {16}
    assert facet["tokenizer"]["modelType"] == "WordPiece"
    assert (facet["packing"], facet["blockSize"]) == (True, 16)
    assert facet["tokens"] == 16 * table.num_rows
    assert facet["tokensDroppedInLastBlock"] < 16


def test_output_opens_with_huggingface_datasets(pipeline) -> None:
    datasets = pytest.importorskip("datasets")
    _, out, _, _ = pipeline
    loaded = datasets.load_dataset(
        "parquet", data_files=str(out / "chunks" / "tokens.parquet"), split="train"
    )
    assert "input_ids" in loaded.column_names


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        ("missing_tokenizer", "no-such-tokenizer"),
        ("not_extraction", "missing column"),
        ("filtered_out", "empty corpus after transforms"),
    ],
)
def test_failures_say_why_and_leave_nothing(pipeline, task: str, expected: str) -> None:
    run, out, _, _ = pipeline
    event = run.of(task, "FAIL")
    assert expected in event["run"]["facets"]["errorMessage"]["message"]
    assert event["outputs"] == []
    assert len(event["inputs"]) == 1
    folder = out / {"missing_tokenizer": "missing"}.get(task, task)
    assert not (folder / "tokens.parquet").exists()
    assert not folder.exists() or list(folder.iterdir()) == []
