"""One rank of a data-parallel run: its own share of the data, gradients all-reduced by DDP.

``run_rank`` is what ``distributed.py`` spawns. Each rank joins the process group through a
``FileStore`` in the run's private work folder, sets the same seed up as the one-process engine
(so every rank starts from the same LoRA weights, which DDP also broadcasts from rank 0), trains
on its ``deal`` of each micro-batch group (``data.py``), and writes what it did to
``rank-<n>.pickle`` in the work folder, completed or not. Rank 0 alone saves the adapter.
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist
import transformers
from torch.nn.parallel import DistributedDataParallel

from llm_lineage.common.measure import Measure
from llm_lineage.common.progress import LogLike
from llm_lineage.training.data import Share, TokenData
from llm_lineage.training.loop import IGNORE, TrainingLoop, collate
from llm_lineage.training.model import BaseModelInfo, FailureKind, TrainingFailed, TrainingResult
from llm_lineage.training.settings import LoRASettings, TrainingSettings
from llm_lineage.training.setup import (
    library_versions,
    load_base_model,
    metrics,
    peft_model,
    place,
    save_adapter,
)

RENDEZVOUS_FILE = "rendezvous"


@dataclass(frozen=True)
class Job:
    """Everything a rank needs, pickled to it by the spawn start method."""

    files: tuple[tuple[str, str], ...]
    """Each token file's local path and the label messages name it by."""
    base: BaseModelInfo
    output_dir: str
    lora: LoRASettings
    training: TrainingSettings
    world: int
    backend: str
    threads: int
    """CPU threads per rank: the task's threads shared out, so ranks do not oversubscribe."""
    workdir: str
    launcher: str
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What a rank leaves in the work folder: its result and, if it failed, why."""

    result: TrainingResult
    message: str | None = None
    kind: FailureKind | None = None


def outcome_file(workdir: str | Path, rank: int) -> Path:
    return Path(workdir) / f"rank-{rank}.pickle"


def run_rank(rank: int, job: Job) -> None:
    """Train rank ``rank`` of ``job``; the outcome file is written whatever happens.

    The process then ends with ``os._exit``, 0 when the rank finished: freeing DDP's reducer
    and the gloo process group at interpreter exit can deadlock (the group's destructor joins
    its run-loop thread; seen with torch 2.13 on a loaded machine), and every rank is past its
    last collective by then, so nothing is left to tear down.
    """
    result = TrainingResult(libraries=library_versions())
    measure = Measure(clock=time.monotonic)
    outcome, code = Outcome(result), 1
    try:
        _train_rank(rank, job, result)
        code = 0
    except TrainingFailed as failed:
        outcome = Outcome(result, str(failed), failed.kind)
    except Exception as error:
        outcome = Outcome(result, f"{type(error).__name__}: {str(error)[:500]}")
        traceback.print_exc()
    finally:
        measure.record(result)
        if result.device == "cuda":
            result.peak_device_memory_bytes = int(torch.cuda.max_memory_allocated())
        outcome_file(job.workdir, rank).write_bytes(pickle.dumps(outcome))
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _train_rank(rank: int, job: Job, result: TrainingResult) -> None:
    transformers.utils.logging.disable_progress_bar()
    torch.set_num_threads(job.threads)
    device = place(result, job.training, rank)
    if device.startswith("cuda"):
        torch.cuda.set_device(rank)
    store = dist.FileStore(str(Path(job.workdir) / RENDEZVOUS_FILE), job.world)
    dist.init_process_group(job.backend, store=store, rank=rank, world_size=job.world)
    data = TokenData.open_all([(Path(path), label) for path, label in job.files])
    result.sequences = data.sequences
    transformers.set_seed(job.training.seed)
    model = peft_model(load_base_model(job.base, result, device), job.base, job.lora, result)
    ddp = DistributedDataParallel(model, device_ids=[rank] if device != "cpu" else None)
    torch.manual_seed(job.training.seed + rank)  # LoRA dropout: each rank its own masks
    loop = ShardedLoop(data, job.training, result, ddp, device, _logger(rank), rank, job.world)
    loop.train()
    result.rows_read = list(data.rows_read)
    totals = _global_counts(result, device)
    if rank == 0:
        facts = {
            **metrics(job.metadata, job.base, job.lora, job.training, result),
            **totals,
            "distributed": {
                "world_size": job.world,
                "backend": job.backend,
                "launcher": job.launcher,
            },
        }
        save_adapter(model, Path(job.output_dir), facts, result)
    dist.barrier()  # every rank leaves once rank 0 has saved: none is left mid-collective


def _global_counts(result: TrainingResult, device: str) -> dict[str, int]:
    """Sequences and tokens of all ranks (for ``training_metrics.json``), one all-reduce."""
    counts = torch.tensor([result.sequences_seen, result.tokens_seen], device=device)
    dist.all_reduce(counts)
    return {"sequences_seen": int(counts[0]), "tokens_seen": int(counts[1])}


def _logger(rank: int) -> LogLike | None:
    """Rank 0 logs progress to its stderr, which the task's log captures; the others keep quiet."""
    if rank != 0:
        return None
    log = logging.getLogger("llm_lineage.training.rank0")
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s rank 0 %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


class ShardedLoop(TrainingLoop):
    """The loop of one rank: its share of each group, the loss weighed over the whole group.

    A group's loss is the sum of its predicted tokens' losses over all ranks, divided by the
    group's predicted tokens: the token mean a single process takes of one micro-batch. DDP
    averages gradients over ranks, so each rank's backward scales its sum by
    ``world / group_targets``; a rank with an empty share runs one dummy sequence weighed 0,
    so that every rank all-reduces as often. The recorded loss is the global one (all-reduced).
    """

    def __init__(
        self,
        data: TokenData,
        training: TrainingSettings,
        result: TrainingResult,
        model: Any,
        device: str,
        logger: LogLike | None,
        rank: int,
        world: int,
    ) -> None:
        self.rank, self.world = rank, world
        super().__init__(data, training, result, model, device, logger)

    def planned_steps(self) -> int:
        training = self.training
        if training.max_steps is not None:
            return training.max_steps
        groups = -(-self.data.sequences // (training.batch_size * self.world))
        return -(-groups // training.gradient_accumulation_steps) * training.epochs

    def micro_batches(self, epoch: int) -> Iterator[Share]:
        training = self.training
        return self.data.shares(
            training.batch_size,
            training.seed,
            epoch,
            training.shuffle_buffer,
            self.rank,
            self.world,
            vocabulary=self.embeddings,
            positions=self.positions,
        )

    def forward(self, batch: Share) -> None:
        share = batch.sequences
        inputs = collate(share or [[0, 0]], self.device)
        with self.autocast():
            logits = self.model(
                input_ids=inputs["input_ids"], attention_mask=inputs["attention_mask"]
            ).logits
        total = torch.nn.functional.cross_entropy(
            logits[:, :-1].float().flatten(0, 1),
            inputs["labels"][:, 1:].flatten(),
            ignore_index=IGNORE,
            reduction="sum",
        )
        weight = self.world / batch.group_targets if share else 0.0
        mean = (total.detach() / batch.group_targets) if share else torch.zeros_like(total)
        dist.all_reduce(mean)
        value = self.finite(float(mean.item()))
        loss = total * weight
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
        self.loss_sum += value
        self.accumulated += 1
        self.epoch_sequences += batch.group_sequences
        self.result.sequences_seen += len(share)
        self.result.tokens_seen += int(inputs["attention_mask"].sum()) if share else 0
