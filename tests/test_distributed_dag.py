"""Data-parallel fine-tuning in a real Airflow run: two gloo processes, one adapter, one event."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import TESTS, DagRun, RunDag
from distributed_fixtures import RankKiller, rank_processes
from llm_lineage.training import ADAPTER_FILES, ADAPTER_WEIGHTS, METRICS_FILE
from lora_fixtures import repetitive_blocks, tiny_base, write_tokens

pytestmark = pytest.mark.dag

DAG_FILE = TESTS / "dags" / "distributed_training.py"
BLOCKS = 30  # not a multiple of 2 ranks x batch 4: the last group is dealt unevenly


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("distributed")
    base = tiny_base(root / "base")
    tokens = write_tokens(root / "tokens" / "tokens.parquet", repetitive_blocks(base, BLOCKS))
    return {"TEST_TOKENS": str(tokens), "TEST_BASE": str(base), "TEST_OUTPUT": str(root / "out")}


@pytest.fixture(scope="module")
def trained(run_dag: RunDag, inputs: dict[str, str]) -> tuple[DagRun, Path]:
    run = run_dag(DAG_FILE, "distributed_training", env=inputs)
    assert run.returncode == 0, run.output[-6000:]
    return run, Path(inputs["TEST_OUTPUT"])


def test_two_processes_publish_one_adapter_and_one_complete_event(trained) -> None:
    run, out = trained
    event = run.of("fine_tune", "COMPLETE")
    assert len(run.all("fine_tune", "START")) == 1
    assert sorted(p.name for p in (out / "adapter").iterdir()) == sorted(ADAPTER_FILES)
    [adapter] = event["outputs"]
    weights = (out / "adapter" / ADAPTER_WEIGHTS).read_bytes()
    assert adapter["facets"]["version"]["datasetVersion"] == hashlib.sha256(weights).hexdigest()
    metrics = json.loads((out / "adapter" / METRICS_FILE).read_text())
    assert metrics["distributed"] == {
        "world_size": 2,
        "backend": "gloo",
        "launcher": "torch.multiprocessing.spawn",
    }
    assert metrics["tokens_seen"] == 2 * BLOCKS * 32  # both ranks', two epochs


def test_the_facets_count_both_processes(trained) -> None:
    run, _ = trained
    facets = run.of("fine_tune", "COMPLETE")["run"]["facets"]
    training = facets["llmLineage_training"]
    assert (training["worldSize"], training["backend"]) == (2, "gloo")
    assert training["launcher"] == "torch.multiprocessing.spawn"
    ranks = training["ranks"]
    assert [r["rank"] for r in ranks] == [0, 1]
    # 30 sequences dealt round-robin: 15 each an epoch, every one seen once per epoch.
    assert [r["sequencesSeen"] for r in ranks] == [30, 30]
    assert training["sequencesSeen"] == 2 * BLOCKS and training["epochs"] == pytest.approx(2.0)
    assert sum(r["tokensSeen"] for r in ranks) == training["tokensSeen"] == 2 * BLOCKS * 32
    # groups of 2 x 4 sequences: ceil(30 / 8) = 4 steps an epoch, on both ranks
    assert [r["steps"] for r in ranks] == [8, 8] and training["steps"] == 8
    assert training["hyperparameters"]["effectiveBatchSize"] == 8
    assert len(training["lossCurve"]) == 8
    usage = facets["llmLineage_resourceUsage"]
    devices = usage["devices"]
    assert [d["rank"] for d in devices] == [0, 1] and usage["deviceCount"] == 2
    assert all(d["cpuSeconds"] > 0 and d["peakMemoryBytes"] > 0 for d in devices)
    # the task's CPU time counts both ranks' (and the launcher's own)
    assert usage["cpuSeconds"] >= sum(d["cpuSeconds"] for d in devices)
    assert usage["computeSeconds"] == pytest.approx(2 * usage["wallSeconds"], abs=0.01)
    assert usage["estimatedCost"] == pytest.approx(usage["computeSeconds"] / 3600 * 3.6, abs=1e-5)
    parameters = {p["key"]: p["value"] for p in facets["executionParameters"]["parameters"]}
    assert parameters["distributed.processes"] == "2"
    assert parameters["distributed.launcher"] == "torch.multiprocessing.spawn"


def test_the_transformation_step_names_the_launcher(trained) -> None:
    run, _ = trained
    [adapter] = run.of("fine_tune", "COMPLETE")["outputs"]
    step = adapter["facets"]["llmLineage_transformations"]["steps"][-1]
    assert step["parameters"]["distributed"] == {
        "launcher": "torch.multiprocessing.spawn",
        "processes": 2,
    }
    assert "data-parallel (DDP) on 2 processes" in step["description"]


def test_two_identical_runs_give_the_same_adapter(trained) -> None:
    run, out = trained
    first = run.of("fine_tune", "COMPLETE")["outputs"][0]["facets"]["version"]
    second = run.of("again", "COMPLETE")["outputs"][0]["facets"]["version"]
    assert first == second
    assert (out / "adapter" / ADAPTER_WEIGHTS).read_bytes() == (
        out / "again" / ADAPTER_WEIGHTS
    ).read_bytes()


def test_killing_one_rank_fails_the_task_and_publishes_nothing(
    run_dag: RunDag, inputs: dict[str, str]
) -> None:
    with RankKiller() as killer:
        run = run_dag(DAG_FILE, "distributed_killed", env=inputs)
    assert killer.killed is not None, run.output[-4000:]
    assert run.returncode != 0
    event = run.of("killed", "FAIL")
    message = event["run"]["facets"]["errorMessage"]["message"]
    assert "training process rank 1 of 2 failed" in message and "SIGKILL" in message, message
    assert event["outputs"] == []
    assert event["run"]["facets"]["llmLineage_training"]["status"] == "rank_failed"
    out = Path(inputs["TEST_OUTPUT"])
    assert not (out / "killed").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".llm-lineage-staging")]
    assert rank_processes() == []  # the surviving rank was stopped too
