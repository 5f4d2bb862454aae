"""A real three-step DAG: documents to text to tokens to adapter, one connected, validated graph."""

from __future__ import annotations

import hashlib
import re
import stat
from collections import defaultdict
from pathlib import Path, PurePath
from typing import Any

import pyarrow.parquet as pq
import pytest

from card_fixtures import split_card
from conftest import TESTS, DagRun, RunDag
from corpora import AUTHORS, make_mixed_corpus
from llm_lineage.lineage.authors import author_token
from llm_lineage.lineage.naming import DatasetId
from llm_lineage.training import (
    ADAPTER_FILES,
    ADAPTER_WEIGHTS,
    METRICS_FILE,
    MODEL_CARD,
    resolve_base_model,
)
from lora_fixtures import tiny_base

pytestmark = pytest.mark.dag

SALT = "lora-pipeline-salt"


@pytest.fixture(scope="module")
def pipeline(
    run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory
) -> tuple[DagRun, Path, Path]:
    root = tmp_path_factory.mktemp("lora")
    corpus = make_mixed_corpus(root / "corpus")
    base = tiny_base(root / "base")
    out = root / "out"
    run = run_dag(
        TESTS / "dags" / "lora_pipeline.py",
        "lora_pipeline",
        env={
            "TEST_CORPUS": str(corpus),
            "TEST_OUTPUT": str(out),
            "TEST_BASE": str(base),
            "LLM_LINEAGE_TEST_ENV": "visible",
            "TEST_AUTHOR_SALT": SALT,
        },
    )
    return run, out, base


def _key(dataset: dict[str, Any]) -> tuple[str, str]:
    return dataset["namespace"], dataset["name"]


def test_documents_to_adapter_is_one_connected_graph(pipeline) -> None:
    run, out, base = pipeline
    edges: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for task in ("extract", "tokenize", "fine_tune"):
        event = run.of(task, "COMPLETE")
        for source in event["inputs"]:
            for target in event["outputs"]:
                edges[_key(source)].add(_key(target))
    corpus = _key(run.of("extract", "COMPLETE")["inputs"][0])
    reached, frontier = {corpus}, [corpus]
    while frontier:
        for nxt in edges[frontier.pop()] - reached:
            reached.add(nxt)
            frontier.append(nxt)
    assert ("file", str(out / "adapter")) in reached
    tokens = run.of("tokenize", "COMPLETE")["outputs"][0]
    dataset, model = run.of("fine_tune", "COMPLETE")["inputs"]
    assert _key(dataset) == _key(tokens)
    assert dataset["facets"]["version"] == tokens["facets"]["version"]
    assert _key(model) == ("file", str(base))
    assert run.of("fine_tune", "START")["inputs"][0]["name"] == dataset["name"]


def test_base_model_and_adapter_datasets(pipeline) -> None:
    run, out, base = pipeline
    event = run.of("fine_tune", "COMPLETE")
    model = event["inputs"][1]
    assert model["facets"]["datasetType"] == {
        **model["facets"]["datasetType"],
        "datasetType": "MODEL",
        "subType": "BASE_MODEL",
    }
    assert model["facets"]["version"]["datasetVersion"] == resolve_base_model(base).fingerprint
    [adapter] = event["outputs"]
    assert _key(adapter) == ("file", str(out / "adapter"))
    facets = adapter["facets"]
    assert facets["datasetType"]["datasetType"] == "MODEL"
    assert facets["storage"]["fileFormat"] == "safetensors"
    weights = (out / "adapter" / ADAPTER_WEIGHTS).read_bytes()
    assert facets["version"]["datasetVersion"] == hashlib.sha256(weights).hexdigest()
    lora = facets["llmLineage_loraAdapter"]
    assert (lora["r"], lora["alpha"], lora["dropout"], lora["bias"]) == (4, 8, 0.0, "none")
    assert lora["targetModules"] == ["c_attn", "c_proj"]
    assert lora["baseModel"]["fingerprint"] == model["facets"]["version"]["datasetVersion"]
    assert 0 < lora["trainableParameters"] < lora["totalParameters"]
    steps = facets["llmLineage_transformations"]["steps"]
    assert [s["step"] for s in steps][-1] == "training"
    assert {"extraction", "tokenization"} <= {s["step"] for s in steps}
    assert any(t["key"] == "llm_lineage.final_loss" for t in facets["tags"]["tags"])
    assert (out / "adapter" / METRICS_FILE).is_file()


def test_training_and_cost_run_facets(pipeline) -> None:
    run, _, _ = pipeline
    event = run.of("fine_tune", "COMPLETE")
    training = event["run"]["facets"]["llmLineage_training"]
    assert training["status"] == "completed"
    assert training["steps"] == training["plannedSteps"] > 0
    assert training["hyperparameters"]["learningRate"] == 3e-2
    assert training["hyperparameters"]["effectiveBatchSize"] == 4
    assert training["tokensSeen"] > 0 and training["epochs"] == pytest.approx(3.0)
    assert training["loss"]["last"] < training["loss"]["first"]
    assert training["lossCurve"][0]["loss"] == training["loss"]["first"]
    assert set(training["libraries"]) == {"torch", "transformers", "peft"}
    assert (training["device"], training["precision"]) == ("cpu", "fp32")
    usage = event["run"]["facets"]["llmLineage_resourceUsage"]
    assert (usage["deviceKind"], usage["costPerHour"], usage["currency"]) == ("cpu", 3.6, "EUR")
    assert usage["estimatedCost"] == pytest.approx(usage["computeSeconds"] / 3600 * 3.6, abs=1e-5)
    assert event["run"]["facets"]["environmentVariables"]["environmentVariables"] == [
        {"name": "LLM_LINEAGE_TEST_ENV", "value": "visible"}
    ]
    assert "Fine-tuning: " in run.output and "tokens/s" in run.output


@pytest.mark.parametrize(
    ("task", "expected", "folder"),
    [
        ("nan_loss", "loss became nan at step", "nan_adapter"),
        ("not_tokens", "has no 'input_ids' column", "not_tokens_adapter"),
        ("missing_base", "base model folder not found", "missing_base_adapter"),
    ],
)
def test_failures_say_why_and_leave_no_adapter(pipeline, task, expected, folder) -> None:
    run, out, _ = pipeline
    event = run.of(task, "FAIL")
    assert expected in event["run"]["facets"]["errorMessage"]["message"]
    assert event["outputs"] == []
    assert len(event["inputs"]) == 2
    assert not (out / folder).exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".llm-lineage-staging")]


def test_nan_failure_reports_what_the_run_got_through(pipeline) -> None:
    run, _, _ = pipeline
    facets = run.of("nan_loss", "FAIL")["run"]["facets"]
    training = facets["llmLineage_training"]
    assert training["status"] == "nan_loss"
    assert training["steps"] >= 1 and training["tokensSeen"] > 0
    assert facets["llmLineage_resourceUsage"]["wallSeconds"] > 0


def _version(dataset: dict[str, Any]) -> str:
    return dataset["facets"]["version"]["datasetVersion"]


def _uri(dataset: dict[str, Any]) -> str:
    return DatasetId(dataset["namespace"], dataset["name"]).uri


def test_adapter_readme_is_a_model_card_naming_what_the_events_name(pipeline) -> None:
    run, out, base = pipeline
    matter, body = split_card((out / "adapter" / MODEL_CARD).read_text())
    assert matter["library_name"] == "peft"
    assert matter["base_model"] == base.name  # a local folder is named, not located
    assert not PurePath(matter["base_model"]).is_absolute() and str(base) not in body
    assert "More Information Needed" not in body  # PEFT's template is gone
    extract, tokenize, fine_tune = (
        run.of(task, "COMPLETE") for task in ("extract", "tokenize", "fine_tune")
    )
    documents, text = extract["inputs"][0], extract["outputs"][0]
    tokens = tokenize["outputs"][0]
    model, adapter = fine_tune["inputs"][1], fine_tune["outputs"][0]
    assert matter["datasets"] == [_uri(tokens), _uri(text)]
    for dataset in (documents, text, tokens, adapter):
        named = f"`{_uri(dataset)}`, datasetVersion `{_version(dataset)}`"
        assert named in body, dataset["name"]
    assert f"Fingerprint `{_version(model)}`" in body  # the base model, by version, not path
    assert f"`{fine_tune['run']['runId']}` of job `{fine_tune['job']['name']}`" in body
    usage = fine_tune["run"]["facets"]["llmLineage_resourceUsage"]
    assert f"{usage['computeSeconds']} device-seconds" in body
    assert f"estimated cost {usage['estimatedCost']} EUR" in body
    loss = fine_tune["run"]["facets"]["llmLineage_training"]["loss"]
    assert f"Loss {loss['first']:.4f} at the first step, {loss['last']:.4f} at the last" in body
    tokenizer = tokens["facets"]["llmLineage_tokenization"]["tokenizer"]
    assert f"`{tokenizer['sha256']}`" in body


def test_hashed_authors_reach_the_card_as_tokens_never_as_names(pipeline) -> None:
    run, out, _ = pipeline
    card = (out / "adapter" / MODEL_CARD).read_text()
    footer = b"".join(pq.read_metadata(out / "tokens" / "tokens.parquet").metadata.values())
    for name in AUTHORS:
        assert name not in card and name.encode() not in footer, name
    collection = run.of("extract", "COMPLETE")["inputs"][0]["facets"]
    event_authors = {a["name"] for a in collection["llmLineage_documentCollection"]["authors"]}
    assert (
        set(re.findall(r"author:[0-9a-f]{16}", card))
        == event_authors
        == {author_token(name, SALT) for name in AUTHORS}
    )


def test_every_adapter_file_has_the_mode_open_gives(pipeline, tmp_path) -> None:
    _, out, _ = pipeline
    probe = tmp_path / "probe"
    probe.write_text("made by open()")
    expected = stat.S_IMODE(probe.stat().st_mode)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (out / "adapter").iterdir()}
    assert modes == dict.fromkeys(ADAPTER_FILES, expected)


def test_fine_tuning_logs_no_library_warnings(pipeline) -> None:
    run, _, _ = pipeline
    for message in ("fan_in_fan_out", "is_gradient_checkpointing", "loss_type=None"):
        assert message not in run.output, message
