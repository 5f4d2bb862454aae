"""The report's trace and document questions on events from real runs (see report_runs.py).

Run A: corpus A to out-a, plus an extraction of a small corpus that nothing reads. Run B: a copy
of corpus A under another name to out-b. Run C: corpus A to out-a again with block size 16 and
seed 7, so out-a's tokens and adapter get second versions. Every expected value below is read
from the events the runs emitted, never from the report itself. Usage, cost, the sources and
the HTML page are tested in ``test_report_usage_cost.py``.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Any

import pytest

from report_fixtures import A, C, cli, cli_json, output, version
from report_runs import Scenario

pytestmark = pytest.mark.dag


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [node, *(n for child in node["inputs"] for n in walk(child))]


def test_trace_walks_the_adapter_back_to_its_documents_at_each_version(scenario: Scenario) -> None:
    extract, tokenize, fine_tune = (
        scenario.complete(C, task) for task in ("extract_documents", "tokenize", "fine_tune")
    )
    status, doc = cli_json(
        "trace", str(scenario.out_a / "adapter"), "--events", str(scenario.events_file)
    )
    assert status == 0
    root = doc["trace"]
    text, tokens = output(extract, "text.parquet"), tokenize["outputs"][0]
    source = extract["inputs"][0]
    assert [(n["kind"], n["name"], n["version"]) for n in walk(root)] == [
        ("adapter", str(scenario.out_a / "adapter"), version(fine_tune["outputs"][0])),
        ("tokens", tokens["name"], version(tokens)),
        ("text", text["name"], version(text)),
        ("documents", str(scenario.corpus_a), version(source)),
        ("base model", str(scenario.base), version(fine_tune["inputs"][1])),
    ]
    producers = [n["produced_by"] and n["produced_by"]["run_id"] for n in walk(root)]
    assert producers == [
        fine_tune["run"]["runId"],
        tokenize["run"]["runId"],
        extract["run"]["runId"],  # run C rewrote the same text version; it is the one read
        None,
        None,
    ]
    collection = source["facets"]["llmLineage_documentCollection"]
    documents = walk(root)[3]["details"]
    assert documents["documents"] == collection["documentCount"] == 15
    assert documents["formats"] == {f["format"]: f["documentCount"] for f in collection["formats"]}
    assert documents["authors"] == [
        {"name": a["name"], "documents": a["documentCount"]} for a in collection["authors"]
    ]
    assert documents["author_policy"] == "include"
    assert documents["manifest"] == collection["manifestUri"]
    assert (documents["created"]["earliest"], documents["created"]["latest"]) == (
        collection["created"]["earliest"],
        collection["created"]["latest"],
    )
    chain = [
        s["name"]
        for s in output(extract, "text.parquet")["facets"]["llmLineage_transformations"]["steps"]
    ]
    assert [t["name"] for t in walk(root)[2]["produced_by"]["transforms"]] == chain
    assert [t["name"] for t in walk(root)[1]["produced_by"]["transforms"]] == [
        "unicode_normalize", "clean_whitespace", "deduplicate", "encode", "pack", "write_parquet"
    ]  # fmt: skip
    assert [t["name"] for t in root["produced_by"]["transforms"]] == ["lora_fine_tune"]
    training = root["produced_by"]["training"]
    assert (
        training["hyperparameters"]
        == fine_tune["run"]["facets"]["llmLineage_training"]["hyperparameters"]
    )
    assert training["hyperparameters"]["seed"] == 7
    assert walk(root)[1]["details"]["block_size"] == 16
    adapter = fine_tune["outputs"][0]["facets"]["llmLineage_loraAdapter"]
    assert root["details"]["base_model"]["fingerprint"] == adapter["baseModel"]["fingerprint"]
    assert root["details"]["lora"]["r"] == 4


def test_trace_of_the_first_version_shows_run_a(scenario: Scenario) -> None:
    first = version(scenario.complete(A, "fine_tune")["outputs"][0])
    tokens = scenario.complete(A, "tokenize")["outputs"][0]
    status, doc = cli_json(
        "trace",
        str(scenario.out_a / "adapter"),
        "--version",
        first[:12],
        "--events",
        str(scenario.events_file),
    )
    root = doc["trace"]
    assert (status, root["version"]) == (0, first)
    assert root["produced_by"]["run_id"] == scenario.complete(A, "fine_tune")["run"]["runId"]
    assert walk(root)[1]["version"] == version(tokens)
    assert (
        walk(root)[1]["produced_by"]["run_id"] == scenario.complete(A, "tokenize")["run"]["runId"]
    )
    assert walk(root)[1]["details"]["block_size"] == 32


def test_trace_text_is_a_tree_with_authors_and_settings(scenario: Scenario) -> None:
    status, text = cli(
        "trace", str(scenario.out_b / "adapter"), "--events", str(scenario.events_file)
    )
    lines = text.splitlines()
    assert status == 0
    assert lines[0] == f"adapter    {(scenario.out_b / 'adapter').as_uri()}"
    for expected in (
        f"└─ documents  {scenario.corpus_b.as_uri()}",
        "15 documents, 0 failed, 120.9 KiB; formats: docx (3), html (2), markdown (3), pdf (3), text (4)",
        "authors (include): Maya Okafor (3), Tomás Ferreira (3), Jonas Lindqvist (2), Priya Raman (2), Elena Brandt (1); 5 distinct, 5 documents without author",
        "LoRA r=4 alpha=8 dropout=0 on c_attn: 2,048 of 131,840 parameters (peft ",
        "transform deduplicate {}: changed 0, dropped 0",
    ):
        assert any(expected in line for line in lines), (expected, text)


def test_document_question_reads_the_manifest(scenario: Scenario) -> None:
    events = str(scenario.events_file)
    adapter_a, adapter_b = str(scenario.out_a / "adapter"), str(scenario.out_b / "adapter")
    note = scenario.corpus_a / "notes" / "dedup-ideas.md"
    status, doc = cli_json("trace", adapter_a, "--document", str(note), "--events", events)
    [check] = doc["document"]["manifests"]
    assert (status, doc["document"]["verdict"]) == (0, "yes")
    assert check["matches"] == [
        {
            "doc_id": hashlib.sha256(b"notes/dedup-ideas.md").hexdigest()[:16],  # the stable id
            "relative_path": "notes/dedup-ideas.md",
            "source_uri": note.as_uri(),
            "sha256": hashlib.sha256(note.read_bytes()).hexdigest(),
            "status": "extracted",
        }
    ]
    assert (check["reachable"], check["stale"]) == (True, False)
    # the same bytes feed the adapter made from the copied corpus: asked by sha256
    digest = hashlib.sha256(note.read_bytes()).hexdigest()
    status, doc = cli_json("trace", adapter_b, "--document", digest, "--events", events)
    assert (status, doc["document"]["verdict"]) == (0, "yes")
    assert (
        doc["document"]["manifests"][0]["matches"][0]["source_uri"]
        == (scenario.corpus_b / "notes" / "dedup-ideas.md").as_uri()
    )
    # a document of the unused corpus, and one the DAG excluded, do not feed adapter A
    for other in (scenario.unused_corpus / "structured.md", scenario.corpus_a / "README.md"):
        status, text = cli("trace", adapter_a, "--document", str(other), "--events", events)
        assert status == 1, text
        assert "feeds this dataset: no" in text and "    not listed" in text


def test_moved_manifest_makes_the_answer_unknown(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    manifest = s.out_b / "extracted" / "manifest.parquet"
    moved = tmp_path / "manifest.parquet"
    shutil.move(manifest, moved)
    try:
        status, text = cli(
            "trace", str(s.out_b / "adapter"), "--document", str(s.corpus_b / "notes" / "dedup-ideas.md"),
            "--events", str(s.events_file),
        )  # fmt: skip
    finally:
        shutil.move(moved, manifest)
    assert status == 3
    assert "feeds this dataset: unknown" in text and "    not readable: FileNotFoundError" in text
