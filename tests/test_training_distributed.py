"""The distributed engine without Airflow: the sharding rule, a rank's error, resolving "auto"."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_lineage.training import (
    ADAPTER_WEIGHTS,
    DistributedSettings,
    FailureKind,
    LoRASettings,
    TokenData,
    TrainingFailed,
    TrainingSettings,
    resolve_base_model,
)
from llm_lineage.training.data import deal
from llm_lineage.training.distributed import resolve_distributed, train_distributed
from lora_fixtures import repetitive_blocks, tiny_base, write_tokens


def _numbered(path: Path, count: int) -> TokenData:
    """``count`` sequences, the i-th ``[i, i]``: each names itself."""
    return TokenData.open(write_tokens(path, [[i, i] for i in range(count)]), "numbered")


@pytest.mark.parametrize(
    ("count", "world", "batch"), [(10, 3, 2), (12, 2, 3), (5, 4, 1), (3, 4, 2)]
)
def test_every_sequence_goes_to_exactly_one_rank_each_epoch(
    tmp_path: Path, count: int, world: int, batch: int
) -> None:
    data = _numbered(tmp_path / "t.parquet", count)
    seen: list[int] = []
    per_rank = []
    steps = set()
    for rank in range(world):
        shares = list(data.shares(batch, 7, 0, 4, rank, world))
        steps.add(len(shares))
        mine = [s[0] for share in shares for s in share.sequences]
        per_rank.append(len(mine))
        seen += mine
        # the group's size and divisor are the same on every rank
        assert [sh.group_targets for sh in shares] == [sh.group_sequences for sh in shares]
    assert sorted(seen) == list(range(count))  # none twice, none skipped
    assert len(steps) == 1  # every rank takes the same number of micro-batches
    # the lower ranks get one more when the world does not divide the count
    assert per_rank == [count // world + (1 if r < count % world else 0) for r in range(world)]


def test_deal_is_distributed_samplers_interleaving() -> None:
    group = [[i] for i in range(7)]
    assert [deal(group, r, 3) for r in range(3)] == [
        [[0], [3], [6]],
        [[1], [4]],
        [[2], [5]],
    ]


def test_auto_is_one_gloo_process_without_a_gpu() -> None:
    training = TrainingSettings(device="cpu")
    resolved = resolve_distributed(DistributedSettings(), training)
    assert resolved == DistributedSettings(processes=1, backend="gloo")
    kept = resolve_distributed(DistributedSettings(processes=3), training)
    assert kept == DistributedSettings(processes=3, backend="gloo")


def test_cuda_without_a_gpu_fails_before_launching() -> None:
    pytest.importorskip("torch")
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(TrainingFailed, match="no CUDA device") as raised:
        resolve_distributed(DistributedSettings(processes=2), TrainingSettings(device="cuda"))
    assert raised.value.kind == FailureKind.DEVICE


def test_a_rank_that_raises_fails_the_run_with_its_error(tmp_path: Path) -> None:
    base = tiny_base(tmp_path / "base")
    data = TokenData.open(
        write_tokens(tmp_path / "tokens.parquet", repetitive_blocks(base, 16)), "tokens"
    )
    out, work = tmp_path / "out", tmp_path / "work"
    out.mkdir()
    work.mkdir()
    training = TrainingSettings(
        learning_rate=1e30, max_grad_norm=None, batch_size=2, epochs=2, progress_interval=1
    )
    with pytest.raises(TrainingFailed) as raised:
        train_distributed(
            data,
            resolve_base_model(base),
            out,
            LoRASettings(dropout=0.0),
            training,
            DistributedSettings(processes=2),
            work,
        )
    failed = raised.value
    assert failed.kind == FailureKind.NAN_LOSS
    assert str(failed).startswith(("rank 0 of 2: loss became", "rank 1 of 2: loss became"))
    result = failed.result
    assert result.world_size == 2 and result.backend == "gloo"
    assert [r.rank for r in result.ranks] == [0, 1]  # both reported what they got through
    assert result.tokens_seen == sum(r.tokens_seen for r in result.ranks) > 0
    assert result.cpu_seconds > sum(r.cpu_seconds for r in result.ranks) > 0
    assert not (out / ADAPTER_WEIGHTS).exists()
