"""Lineage of a data-parallel fine-tuning run: the world, every rank's share, every device's cost."""

from __future__ import annotations

from openlineage.client.event_v2 import RunState

from llm_lineage.lineage.model_card import model_card
from llm_lineage.lineage.training import training_lineage, transformation_chain
from llm_lineage.report.describe import training_details
from llm_lineage.training import DistributedSettings, RankResult
from test_lineage_training import (
    RESOURCES,
    TRAINING,
    TRANSFORMATIONS,
    _base,
    _event,
    _info,
    _plan,
    _result,
)

TWO = DistributedSettings(processes=2, backend="gloo")


def _rank(rank: int, tokens: int) -> RankResult:
    return RankResult(
        rank=rank,
        device="cpu",
        device_name="x86_64 CPU (1 threads)",
        steps=4,
        sequences_seen=4,
        tokens_seen=tokens,
        wall_seconds=9.0,
        train_seconds=8.0,
        cpu_seconds=4.0,
        peak_memory_bytes=5 * 10**8,
        peak_device_memory_bytes=None,
    )


def _distributed_result():  # type: ignore[no-untyped-def]
    result = _result()
    result.world_size, result.backend = 2, "gloo"
    result.launcher = "torch.multiprocessing.spawn"
    result.device_count = 2
    result.ranks = [_rank(0, 600), _rank(1, 424)]
    return result


def test_training_facet_names_the_world_and_each_ranks_share() -> None:
    lineage = training_lineage(_plan(distributed=TWO), _base(), [_info("a")], _distributed_result())
    run = _event(lineage, RunState.COMPLETE)["run"]["facets"]
    training = run[TRAINING]
    assert (training["worldSize"], training["backend"]) == (2, "gloo")
    assert training["launcher"] == "torch.multiprocessing.spawn"
    assert training["ranks"] == [
        {"rank": 0, "steps": 4, "sequencesSeen": 4, "tokensSeen": 600},
        {"rank": 1, "steps": 4, "sequencesSeen": 4, "tokensSeen": 424},
    ]
    assert training["hyperparameters"]["effectiveBatchSize"] == 4  # 2 sequences x 2 ranks
    parameters = {p["key"]: p["value"] for p in run["executionParameters"]["parameters"]}
    assert (parameters["distributed.processes"], parameters["distributed.backend"]) == (
        "2",
        "gloo",
    )


def test_resource_facet_counts_every_device() -> None:
    lineage = training_lineage(_plan(distributed=TWO), _base(), [_info("a")], _distributed_result())
    usage = _event(lineage, RunState.COMPLETE)["run"]["facets"][RESOURCES]
    assert usage["deviceCount"] == 2
    assert usage["computeSeconds"] == 20.0  # 10 s wall x 2 devices
    assert usage["estimatedCost"] == 0.02
    assert [(d["rank"], d["cpuSeconds"], d["peakMemoryBytes"]) for d in usage["devices"]] == [
        (0, 4.0, 5 * 10**8),
        (1, 4.0, 5 * 10**8),
    ]


def test_one_process_reports_a_world_of_one_and_no_ranks() -> None:
    lineage = training_lineage(_plan(), _base(), [_info("a")], _result())
    run = _event(lineage, RunState.COMPLETE)["run"]["facets"]
    assert run[TRAINING]["worldSize"] == 1
    assert "ranks" not in run[TRAINING] and "backend" not in run[TRAINING]
    assert "devices" not in run[RESOURCES]


def test_the_step_names_the_launcher_and_the_version_stays_the_weights() -> None:
    single = transformation_chain(_plan(), _base(), [_info("a")])
    two = transformation_chain(_plan(distributed=TWO), _base(), [_info("a")])
    assert "distributed" not in single.steps[-1].parameters  # one-process chains unchanged
    assert two.steps[-1].parameters["distributed"] == {
        "launcher": "torch.multiprocessing.spawn",
        "processes": 2,
    }
    # the backend is where it ran, not what it made: it changes no fingerprint
    nccl = transformation_chain(
        _plan(distributed=TWO.model_copy(update={"backend": "nccl"})), _base(), [_info("a")]
    )
    assert nccl.steps[-1].fingerprint == two.steps[-1].fingerprint != single.steps[-1].fingerprint
    lineage = training_lineage(_plan(distributed=TWO), _base(), [_info("a")], _distributed_result())
    [adapter] = _event(lineage, RunState.COMPLETE)["outputs"]
    assert adapter["facets"]["version"]["datasetVersion"] == "9" * 64
    assert TRANSFORMATIONS in adapter["facets"]


def test_the_model_card_names_the_world_and_each_ranks_device() -> None:
    card = model_card(_plan(distributed=TWO), _base(), [_info("a")], _distributed_result(), None)
    line = next(x for x in card.splitlines() if x.startswith("- Data-parallel"))
    assert "on 2 processes (gloo, torch.multiprocessing.spawn)" in line
    assert r"rank 0 on x86\_64 CPU (1 threads): 600 tokens" in line
    assert r"rank 1 on x86\_64 CPU (1 threads): 424 tokens" in line
    single = model_card(_plan(), _base(), [_info("a")], _result(), None)
    assert "Data-parallel" not in single


def test_report_trace_reads_the_world_size_and_the_devices() -> None:
    lineage = training_lineage(_plan(distributed=TWO), _base(), [_info("a")], _distributed_result())
    facets = _event(lineage, RunState.COMPLETE)["run"]["facets"]
    details = training_details(facets)
    assert details is not None
    assert (details["world_size"], details["backend"], details["devices"]) == (2, "gloo", 2)
