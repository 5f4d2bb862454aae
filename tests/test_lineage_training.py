"""The fine-tuning builders (``lineage/training.py``) at start, completion and failure.

Plans, base models and engine results are built directly (no torch, no DAG runs): each test
calls the builder, checks the datasets and facets, then wraps them into an OpenLineage RunEvent
and validates it strictly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from openlineage.client.event_v2 import RunState

from lineage_fixtures import step_event
from llm_lineage.common.versions import package_version
from llm_lineage.facets import facet_key
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.lineage.training import TrainingPlan, training_lineage
from llm_lineage.lineage.transformation_chain import build_steps, chain_fingerprint
from llm_lineage.training import (
    AdapterOutput,
    BaseModelInfo,
    FailureKind,
    FileDigest,
    LoRASettings,
    LossPoint,
    TrainingResult,
    TrainingSettings,
    base_model_location,
)
from llm_lineage.training.model import TrainingFailed

ADAPTER = facet_key("loraAdapter")
TRAINING = facet_key("training")
TRANSFORMATIONS = facet_key("transformations")
RESOURCES = facet_key("resourceUsage")
TOKENS = "/data/tokens/tokens.parquet"


def _event(lineage: StepLineage, state: RunState) -> dict[str, Any]:
    return step_event(lineage, state, "fine_tune")


def _plan(datasets: tuple[str, ...] = (TOKENS,), **overrides: Any) -> TrainingPlan:
    values: dict[str, Any] = {
        "datasets": datasets,
        "output": "/data/adapter",
        "base_model": "org/tiny-gpt2",
        "base_location": base_model_location("org/tiny-gpt2"),
        "lora": LoRASettings(r=4, alpha=8, target_modules=("c_attn",)),
        "training": TrainingSettings(max_steps=4, batch_size=2, device="cpu"),
        "cost_per_hour": 3.6,
        "currency": "EUR",
        **overrides,
    }
    return TrainingPlan(**values)


def _base() -> BaseModelInfo:
    return BaseModelInfo(
        source="org/tiny-gpt2",
        location="https://huggingface.co/org/tiny-gpt2",
        path="/cache/org/tiny-gpt2",
        revision="main",
        resolved_revision="0123abcd",
        model_type="gpt2",
        architectures=("GPT2LMHeadModel",),
        config_sha256="c" * 64,
        weight_files=(FileDigest("model.safetensors", 2048, "d" * 64),),
        fingerprint="f" * 64,
    )


def _info(name: str) -> SourceInfo:
    """A token file's footer: its version and the chain that made it."""
    chain = build_steps(f"text-{name}", "tokenization", [("encode", "tokenizers", "1", {}, None)])
    return SourceInfo(rows=8, size_bytes=1000, content_hash=f"tokens-{name}", chain=chain)


def _result(written: bool = True) -> TrainingResult:
    result = TrainingResult(
        sequences=8,
        planned_steps=4,
        steps=4,
        sequences_seen=8,
        rows_read=[8],
        tokens_seen=1024,
        losses=[LossPoint(1, 4.0), LossPoint(2, 3.0), LossPoint(3, 2.5), LossPoint(4, 2.75)],
        device="cpu",
        device_count=1,
        precision="fp32",
        target_modules=("c_attn",),
        trainable_parameters=100,
        total_parameters=10_000,
        libraries={"torch": "2.0", "peft": "0.9"},
        wall_seconds=10.0,
        train_seconds=8.0,
        cpu_seconds=9.0,
        peak_memory_bytes=10**9,
    )
    if written:
        result.output = AdapterOutput(
            (
                FileDigest("adapter_model.safetensors", 400, "9" * 64),
                FileDigest("adapter_config.json", 100, "8" * 64),
            ),
            "9" * 64,
        )
    return result


def test_start_names_the_tokens_the_base_model_and_the_adapter() -> None:
    lineage = training_lineage(_plan())

    tokens, base = lineage.inputs
    (adapter,) = lineage.outputs
    assert (tokens.namespace, tokens.name) == ("file", TOKENS)
    assert (base.namespace, base.name) == ("https://huggingface.co", "org/tiny-gpt2")
    assert (adapter.namespace, adapter.name) == ("file", "/data/adapter")
    assert set(base.facets or {}) == {"storage", "datasetType", "dataSource"}
    assert set(adapter.facets or {}) == {"storage", "datasetType"}
    assert set(lineage.run_facets) == {"executionParameters"}
    event = _event(lineage, RunState.START)
    parameters = {
        p["key"]: p["value"] for p in event["run"]["facets"]["executionParameters"]["parameters"]
    }
    assert parameters["training.learning_rate"] == str(_plan().training.learning_rate)
    assert parameters["lora.r"] == str(_plan().lora.r)
    assert parameters["lora.bias"] == "none"
    assert "training.progress_interval" not in parameters
    assert event["inputs"][1]["facets"]["datasetType"]["subType"] == "BASE_MODEL"
    assert event["outputs"][0]["facets"]["datasetType"] == {
        **event["outputs"][0]["facets"]["datasetType"],
        "datasetType": "MODEL",
        "subType": "LORA_ADAPTER",
    }
    assert event["job"]["facets"]["documentation"]["description"] == (
        f"LoRA fine-tune org/tiny-gpt2 (r=4, alpha=8) on file://{TOKENS} for 4 steps into "
        "file:///data/adapter."
    )


def test_complete_names_the_inputs_by_their_versions() -> None:
    lineage = training_lineage(_plan(), _base(), [_info("a")], _result())

    tokens, base = _event(lineage, RunState.COMPLETE)["inputs"]
    assert tokens["facets"]["version"]["datasetVersion"] == "tokens-a"
    statistics = tokens["inputFacets"]["inputStatistics"]
    assert (statistics["rowCount"], statistics["size"]) == (8, 1000)
    assert base["facets"]["version"]["datasetVersion"] == "f" * 64
    assert base["facets"]["documentation"]["description"] == (
        "Base model org/tiny-gpt2 (gpt2, GPT2LMHeadModel) at revision 0123abcd: 1 safetensors "
        f"weight file(s), 2048 bytes, fingerprint {'f' * 12}."
    )
    tags = {t["key"]: t["value"] for t in base["facets"]["tags"]["tags"]}
    assert tags == {
        "llm_lineage.model_type": "gpt2",
        "llm_lineage.fingerprint": "f" * 64,
        "llm_lineage.revision": "0123abcd",
    }


def test_complete_describes_the_adapter() -> None:
    lineage = training_lineage(_plan(replaced=True), _base(), [_info("a")], _result())

    adapter = _event(lineage, RunState.COMPLETE)["outputs"][0]
    facets = adapter["facets"]
    assert facets["version"]["datasetVersion"] == "9" * 64
    assert facets["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"
    shape = facets[ADAPTER]
    assert (shape["r"], shape["alpha"], shape["targetModules"]) == (4, 8, ["c_attn"])
    assert (shape["trainableParameters"], shape["totalParameters"]) == (100, 10_000)
    assert shape["peftVersion"] == "0.9"
    assert shape["baseModel"] == {
        "name": "org/tiny-gpt2",
        "fingerprint": "f" * 64,
        "revision": "main",
        "resolvedRevision": "0123abcd",
        "modelType": "gpt2",
    }
    assert facets["documentation"]["description"] == (
        f"LoRA adapter (r=4, alpha=8, c_attn) for org/tiny-gpt2, trained for 4 steps on 1024 "
        f"tokens of file://{TOKENS}; loss 4.0000 to 2.7500. Load with "
        "peft.PeftModel.from_pretrained."
    )
    tags = {t["key"]: t["value"] for t in facets["tags"]["tags"]}
    assert (tags["llm_lineage.lora_r"], tags["llm_lineage.final_loss"]) == ("4", "2.7500")
    assert adapter["outputFacets"]["outputStatistics"] == {
        **adapter["outputFacets"]["outputStatistics"],
        "size": 500,
        "fileCount": 2,
    }


def test_the_chain_continues_the_tokens() -> None:
    info = _info("a")

    chain = training_lineage(_plan(), _base(), [info], _result()).outputs[0].facets[TRANSFORMATIONS]  # type: ignore[index]

    steps = chain.steps  # type: ignore[attr-defined]
    assert steps[:-1] == info.chain
    step = steps[-1]
    assert (step.name, step.library, step.step) == ("lora_fine_tune", "peft", "training")
    assert step.version == package_version("peft")
    assert step.parameters["base_model_fingerprint"] == "f" * 64
    assert step.parameters["lora"]["r"] == 4
    assert "device" not in step.parameters["training"]  # where it ran is not how it was made
    assert "progress_interval" not in step.parameters["training"]
    assert step.fingerprint == chain_fingerprint(
        info.chain[-1].fingerprint, step.name, step.library, step.version, step.parameters
    )
    assert chain.fingerprint == step.fingerprint  # type: ignore[attr-defined]


def test_shards_trained_together_each_keep_their_chain() -> None:
    shards = ("/data/a/tokens.parquet", "/data/b/tokens.parquet")
    result = _result()
    result.rows_read = [5, 3]

    lineage = training_lineage(_plan(shards), _base(), [_info("a")], result)

    event = _event(lineage, RunState.COMPLETE)
    first, second, base = event["inputs"]
    assert first["facets"]["version"]["datasetVersion"] == "tokens-a"
    assert "version" not in second["facets"]  # its footer was not read
    assert [i["inputFacets"]["inputStatistics"]["rowCount"] for i in (first, second)] == [5, 3]
    assert base["name"] == "org/tiny-gpt2"
    (step,) = lineage.outputs[0].facets[TRANSFORMATIONS].steps  # type: ignore[index, attr-defined]
    datasets = step.parameters["datasets"]
    assert datasets == [
        {
            "uri": "file:///data/a/tokens.parquet",
            "version": "tokens-a",
            "chain_fingerprint": _info("a").chain[-1].fingerprint,
        },
        {"uri": "file:///data/b/tokens.parquet", "version": None, "chain_fingerprint": None},
    ]
    seed = hashlib.sha256(json.dumps(datasets, sort_keys=True).encode()).hexdigest()
    assert step.fingerprint == chain_fingerprint(
        seed, step.name, step.library, step.version, step.parameters
    )
    # The event leaves out null values (openlineage-python's Serde), the step's fingerprint stays.
    (sent,) = event["outputs"][0]["facets"][TRANSFORMATIONS]["steps"]
    assert sent["parameters"]["datasets"][1] == {"uri": "file:///data/b/tokens.parquet"}
    assert sent["fingerprint"] == step.fingerprint


def test_run_facets_report_training_and_its_cost() -> None:
    lineage = training_lineage(_plan(), _base(), [_info("a")], _result())

    run = _event(lineage, RunState.COMPLETE)["run"]["facets"]
    training = run[TRAINING]
    assert training["status"] == "completed"
    assert (training["plannedSteps"], training["steps"], training["epochs"]) == (4, 4, 1.0)
    assert (training["sequencesSeen"], training["tokensSeen"]) == (8, 1024)
    assert training["loss"] == {"first": 4.0, "last": 2.75, "best": 2.5, "bestStep": 3}
    assert [p["step"] for p in training["lossCurve"]] == [1, 2, 3, 4]
    hyper = training["hyperparameters"]
    assert (hyper["maxSteps"], hyper["batchSize"], hyper["effectiveBatchSize"]) == (4, 2, 2)
    assert (hyper["device"], hyper["precision"]) == ("cpu", "auto")
    assert training["libraries"] == {"torch": "2.0", "peft": "0.9"}
    usage = run[RESOURCES]
    assert (usage["computeSeconds"], usage["costPerHour"], usage["currency"]) == (10.0, 3.6, "EUR")
    assert usage["estimatedCost"] == 0.01
    assert (usage["itemsProcessed"], usage["itemUnit"], usage["itemsPerSecond"]) == (
        1024,
        "tokens",
        128.0,
    )
    assert usage["bytesWritten"] == 500
    assert "environmentVariables" not in run


def test_without_a_price_there_is_no_cost() -> None:
    lineage = training_lineage(_plan(cost_per_hour=None), _base(), [_info("a")], _result())

    usage = _event(lineage, RunState.COMPLETE)["run"]["facets"][RESOURCES]
    assert not {"costPerHour", "estimatedCost", "currency"} & set(usage)
    assert usage["computeSeconds"] == 10.0


def test_allow_listed_environment_is_a_run_facet_from_start() -> None:
    plan = _plan(environment=(("CUDA_VISIBLE_DEVICES", "0"), ("HF_HUB_OFFLINE", "1")))

    for lineage, state in (
        (training_lineage(plan), RunState.START),
        (training_lineage(plan, _base(), [_info("a")], _result()), RunState.COMPLETE),
    ):
        facet = _event(lineage, state)["run"]["facets"]["environmentVariables"]
        assert facet["environmentVariables"] == [
            {"name": "CUDA_VISIBLE_DEVICES", "value": "0"},
            {"name": "HF_HUB_OFFLINE", "value": "1"},
        ]


def test_failure_reports_how_far_the_run_got_and_no_output() -> None:
    partial = _result(written=False)
    partial.steps, partial.losses = 2, partial.losses[:2]
    TrainingFailed("loss is NaN", partial, FailureKind.NAN_LOSS)

    lineage = training_lineage(_plan(), _base(), [_info("a")], partial, failed=True)

    assert lineage.outputs == []
    event = _event(lineage, RunState.FAIL)
    assert event["inputs"][1]["facets"]["version"]["datasetVersion"] == "f" * 64
    training = event["run"]["facets"][TRAINING]
    assert (training["status"], training["steps"], training["plannedSteps"]) == ("nan_loss", 2, 4)
    assert training["loss"] == {"first": 4.0, "last": 3.0, "best": 3.0, "bestStep": 2}
    usage = event["run"]["facets"][RESOURCES]
    assert "bytesWritten" not in usage and usage["estimatedCost"] == 0.01


def test_failure_before_the_base_model_resolved() -> None:
    lineage = training_lineage(_plan(), None, None, None, failed=True)

    event = _event(lineage, RunState.FAIL)
    assert event["outputs"] == []
    tokens, base = event["inputs"]
    assert "version" not in tokens["facets"] and "version" not in base["facets"]
    assert base["facets"]["storage"]["fileFormat"] == "safetensors"
    assert set(event["run"]["facets"]) == {"executionParameters"}


def test_a_result_without_its_adapter_names_the_output_as_at_start() -> None:
    lineage = training_lineage(_plan(), _base(), [_info("a")], _result(written=False))

    adapter = _event(lineage, RunState.COMPLETE)["outputs"][0]
    assert set(adapter["facets"]) == {"storage", "datasetType"}
