"""A real DAG: extraction, then embedding with the packaged all-MiniLM-L6-v2 into Parquet and a
LanceDB table; the same text embedded again, with other chunks, and each way it fails. Every event
is validated strictly (spec and facet schemas) by the ``run_dag`` fixture; the report traces the
embeddings back to the documents and counts a document's chunks in each index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import lancedb
import pyarrow.parquet as pq
import pytest

from conftest import TESTS, DagRun, RunDag
from corpora import make_mixed_corpus
from embedding_fixtures import build_tiny_model, unpack_minilm
from llm_lineage.embedding import resolve_model, version_tag
from llm_lineage.lineage.chain import read_chain, read_provenance
from report_fixtures import cli, cli_json, output, version

pytestmark = pytest.mark.dag

EMBEDDING = "llmLineage_embedding"


@pytest.fixture(scope="module")
def pipeline(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> tuple[DagRun, Path]:
    root = tmp_path_factory.mktemp("embedding")
    out = root / "out"
    run = run_dag(
        TESTS / "dags" / "embedding_pipeline.py",
        "embedding_pipeline",
        env={
            "TEST_CORPUS": str(make_mixed_corpus(root / "corpus")),
            "TEST_OUTPUT": str(out),
            "TEST_MINILM": str(unpack_minilm(root / "minilm")),
            "TEST_TINY_MODEL": str(build_tiny_model(root / "tiny")),
            "HF_HUB_OFFLINE": "1",
        },
    )
    (root / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in run.events))
    return run, out


def _ids(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def test_inputs_are_the_text_and_the_model(pipeline) -> None:
    run, _ = pipeline
    text = output(run.of("extract", "COMPLETE"), "text.parquet")
    model_dir = Path(run.of("embed", "START")["inputs"][1]["name"])
    for event_type in ("START", "COMPLETE"):
        event = run.of("embed", event_type)
        assert _ids(event["inputs"]) == [_ids([text])[0], ("file", str(model_dir))]
    complete = run.of("embed", "COMPLETE")
    assert version(complete["inputs"][0]) == version(text)
    model = complete["inputs"][1]
    assert model["facets"]["datasetType"] == {
        **model["facets"]["datasetType"],
        "datasetType": "MODEL",
        "subType": "EMBEDDING_MODEL",
    }
    assert version(model) == resolve_model(model_dir).fingerprint


def test_embeddings_file_and_facet(pipeline) -> None:
    run, out = pipeline
    complete = run.of("embed", "COMPLETE")
    embeddings = output(complete, "embeddings.parquet")
    path = out / "embedded" / "embeddings.parquet"
    table = pq.read_table(path)
    assert table.schema.names == [
        "doc_id",
        "chunk_index",
        "start_char",
        "end_char",
        "token_count",
        "embedding",
        "text",
    ]
    facet = embeddings["facets"][EMBEDDING]
    assert facet["model"]["dimension"] == 384
    assert (facet["model"]["similarity"], facet["model"]["maxSeqLength"]) == ("cosine", 256)
    assert facet["model"]["fingerprint"] == version(complete["inputs"][1])
    assert (facet["chunkTokens"], facet["overlapTokens"], facet["normalized"]) == (16, 4, True)
    assert facet["chunks"] == table.num_rows > 5
    assert facet["tokens"] == sum(table.column("token_count").to_pylist())
    assert facet["truncatedChunks"] == 0
    assert facet["documentsIn"] == 5
    metadata = pq.read_metadata(path).metadata
    assert version(embeddings) == metadata[b"llm_lineage.content_hash"].decode()
    lineage = embeddings["facets"]["columnLineage"]["fields"]["embedding"]["inputFields"][0]
    assert (lineage["name"], lineage["field"]) == (complete["inputs"][0]["name"], "text")
    usage = complete["run"]["facets"]["llmLineage_resourceUsage"]
    assert (usage["itemUnit"], usage["itemsProcessed"]) == ("chunks", table.num_rows)
    assert usage["estimatedCost"] == pytest.approx(usage["computeSeconds"] / 3600 * 2.5, abs=1e-5)


def test_chain_and_documents_summary_travel_in_the_footer(pipeline) -> None:
    run, out = pipeline
    text = output(run.of("extract", "COMPLETE"), "text.parquet")
    extraction_steps = text["facets"]["llmLineage_transformations"]["steps"]
    chain = output(run.of("embed", "COMPLETE"), "embeddings.parquet")["facets"][
        "llmLineage_transformations"
    ]
    steps = chain["steps"]
    assert steps[: len(extraction_steps)] == extraction_steps
    assert [s["name"] for s in steps[len(extraction_steps) :]] == [
        "chunk",
        "encode",
        "write_parquet",
    ]
    metadata = pq.read_metadata(out / "embedded" / "embeddings.parquet").metadata
    step, footer_chain = read_chain(metadata)
    assert step == "embedding"
    assert footer_chain[-1].fingerprint == chain["fingerprint"]
    provenance = read_provenance(metadata)
    assert provenance is not None and provenance.documents is not None
    assert provenance.documents.documents == 5
    assert ("Ada Lovelace", 2) in provenance.documents.authors
    card = (out / "embedded" / "README.md").read_text()
    assert "Ada Lovelace (2)" in card
    assert version(text) in card


def test_same_text_same_version_other_chunks_new_version(pipeline) -> None:
    run, _ = pipeline
    first = version(output(run.of("embed", "COMPLETE"), "embeddings.parquet"))
    again = version(output(run.of("embed_again", "COMPLETE"), "embeddings.parquet"))
    other = version(output(run.of("embed_other_chunks", "COMPLETE"), "embeddings.parquet"))
    assert first == again
    assert other != first


def test_the_lancedb_table_holds_the_vectors_at_the_reported_version(pipeline) -> None:
    run, out = pipeline
    complete = run.of("embed", "COMPLETE")
    table_dataset = output(complete, "chunks.lance")
    assert table_dataset["name"] == str(out / "lancedb" / "chunks.lance")
    facet = table_dataset["facets"][EMBEDDING]["vectorStore"]
    table = lancedb.connect(str(out / "lancedb")).open_table("chunks")
    assert version(table_dataset) == str(table.version) == str(facet["tableVersion"])
    embeddings = output(complete, "embeddings.parquet")
    assert facet["tag"] == version_tag(version(embeddings))
    assert table.tags.list()[facet["tag"]]["version"] == table.version
    parquet = pq.read_table(out / "embedded" / "embeddings.parquet")
    assert table.count_rows() == parquet.num_rows
    query = parquet.column("embedding")[3].as_py()
    [hit] = table.search(query).limit(1).to_list()
    assert (hit["doc_id"], hit["chunk_index"]) == (
        parquet.column("doc_id")[3].as_py(),
        parquet.column("chunk_index")[3].as_py(),
    )


@pytest.mark.parametrize(
    ("task", "expected", "inputs"),
    [("not_text", "missing column(s) text", 2), ("missing_model", "no-such-model", 2)],
)
def test_failures_say_why_and_leave_nothing(pipeline, task: str, expected: str, inputs: int):
    run, out = pipeline
    event = run.of(task, "FAIL")
    assert expected in event["run"]["facets"]["errorMessage"]["message"]
    assert event["outputs"] == []
    assert len(event["inputs"]) == inputs
    folder = out / task
    assert not (folder / "embeddings.parquet").exists()


def test_report_traces_embeddings_to_documents_and_counts_chunks(pipeline) -> None:
    run, out = pipeline
    events = str(out.parent / "events.jsonl")
    status, doc = cli_json(
        "trace", str(out / "embedded" / "embeddings.parquet"), "--events", events
    )
    assert status == 0
    root = doc["trace"]
    assert root["kind"] == "embeddings"
    assert root["details"]["model"]["dimension"] == 384
    kinds = [(child["kind"], [c["kind"] for c in child["inputs"]]) for child in root["inputs"]]
    assert kinds == [("text", ["documents"]), ("embedding model", [])]
    documents = root["inputs"][0]["inputs"][0]["details"]
    assert documents["documents"] == 5
    assert {"name": "Ada Lovelace", "documents": 2} in documents["authors"]
    corpus = Path(run.of("extract", "START")["inputs"][0]["name"])
    engine = corpus / "reports" / "engine.pdf"
    parquet = pq.read_table(out / "embedded" / "embeddings.parquet").to_pylist()
    [doc_id] = {r["doc_id"] for r in parquet if r["text"] and "analytical engine" in r["text"]}
    expected = sum(1 for r in parquet if r["doc_id"] == doc_id)
    for index in ("embedded/embeddings.parquet", "lancedb/chunks.lance"):
        status, doc = cli_json(
            "trace", str(out / index), "--events", events, "--document", str(engine)
        )
        assert status == 0, doc
        assert doc["document"]["verdict"] == "yes"
        assert doc["document"]["chunks"]["chunks"] == expected > 0, index
    status, text = cli(
        "trace",
        str(out / "lancedb" / "chunks.lance"),
        "--events",
        events,
        "--document",
        str(engine),
    )
    assert f"is in {expected} chunks of index" in text


def test_usage_flags_unread_and_redundant_embeddings_and_cost_has_their_rows(pipeline) -> None:
    run, out = pipeline
    events = str(out.parent / "events.jsonl")
    status, doc = cli_json("usage", "--events", events)
    assert status == 0
    rows = {row["name"]: row for row in doc["usage"]["datasets"]}
    first, again = (str(out / f / "embeddings.parquet") for f in ("embedded", "again"))
    for name in (first, again):
        assert rows[name]["kind"] == "embeddings"
        assert set(rows[name]["flags"]) == {"orphaned", "redundant"}  # never read; same version
    assert rows[first]["same_content_as"] == [Path(again).as_uri()]
    assert rows[str(out / "other_chunks" / "embeddings.parquet")]["flags"] == ["orphaned"]
    status, doc = cli_json("cost", "--events", events)
    assert status == 0
    costs = {row["key"]: row for row in doc["cost"]["embeddings"]}
    usage = run.of("embed", "COMPLETE")["run"]["facets"]["llmLineage_resourceUsage"]
    row = costs[Path(first).as_uri()]
    assert row["runs"] == 2  # extract and embed
    assert row["cost"] == {"USD": pytest.approx(usage["estimatedCost"], abs=1e-9)}
