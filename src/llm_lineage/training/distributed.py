"""Data-parallel fine-tuning on every device of this worker: N processes, one adapter.

The launcher is ``torch.multiprocessing.start_processes`` with the ``spawn`` start method, and
the ranks meet through a ``torch.distributed.FileStore`` in the run's private work folder
(``worker.py``). Chosen over the elastic agent behind ``torchrun``
(``torch.distributed.launcher.elastic_launch``) because it runs inside an Airflow task process:

- the elastic agent's process context replaces the process's SIGTERM, SIGINT, SIGHUP and SIGQUIT
  handlers (``torch.distributed.elastic.multiprocessing.api.PContext.start``) and never puts
  them back, so Airflow could no longer stop the task its own way;
- it restarts failed workers and re-forms the group, which is for membership that changes
  across nodes; on one node a failed rank should fail the task, and Airflow retries it;
- its rendezvous is a TCP store on a port; a file in the staging folder cannot collide with
  another task's on the same worker.

``spawn``, not ``fork``: the task process has threads (Airflow's supervisor comms, the
OpenLineage listener), which a fork copies in whatever state they are, and CUDA cannot be used
in a forked child. Each child gets ``PR_SET_PDEATHSIG`` from torch, so a killed task leaves no
trainer behind. When a rank fails, the others are stopped and this raises TrainingFailed with
that rank's error; nothing is saved unless every rank finished.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import torch.multiprocessing as mp

from llm_lineage.common.measure import Measure
from llm_lineage.common.progress import LogLike
from llm_lineage.training.data import TokenData
from llm_lineage.training.model import (
    BaseModelInfo,
    FailureKind,
    RankResult,
    TrainingFailed,
    TrainingResult,
)
from llm_lineage.training.settings import (
    LAUNCHER,
    DistributedSettings,
    LoRASettings,
    TrainingSettings,
)
from llm_lineage.training.setup import library_versions, resolve_device
from llm_lineage.training.worker import Job, Outcome, outcome_file, run_rank


def resolve_distributed(
    settings: DistributedSettings, training: TrainingSettings
) -> DistributedSettings:
    """``processes`` and ``backend`` as they will run: "auto" becomes a number and a backend.

    Raises TrainingFailed (``device``) when the device is missing or has too few GPUs.
    """
    try:
        device = resolve_device(training.device)
    except RuntimeError as error:
        raise TrainingFailed(str(error), TrainingResult(), FailureKind.DEVICE) from None
    gpus = torch.cuda.device_count() if device == "cuda" else 0
    processes = max(gpus, 1) if settings.processes == "auto" else int(settings.processes)
    if device == "cuda" and processes > gpus:
        raise TrainingFailed(
            f"distributed.processes={processes} but this worker has {gpus} GPU(s); "
            "one process per GPU",
            TrainingResult(),
            FailureKind.DEVICE,
        )
    backend = settings.backend
    if backend == "auto":
        backend = "nccl" if device == "cuda" else "gloo"
    return DistributedSettings(processes=processes, backend=backend)


def train_distributed(
    data: TokenData,
    base: BaseModelInfo,
    output_dir: Path,
    lora: LoRASettings,
    training: TrainingSettings,
    distributed: DistributedSettings,
    workdir: Path,
    logger: LogLike | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Train on ``distributed.processes`` processes; rank 0 saves into ``output_dir``.

    ``distributed`` comes from ``resolve_distributed``; ``workdir`` is a private, empty folder
    for the rendezvous and the ranks' outcome files. Raises TrainingFailed with what every
    rank that reported got through.
    """
    settings = resolve_distributed(distributed, training)
    world, backend = int(settings.processes), str(settings.backend)
    result = TrainingResult(
        sequences=data.sequences,
        libraries=library_versions(),
        world_size=world,
        backend=backend,
        launcher=LAUNCHER,
    )
    job = Job(
        files=tuple((str(f.path), f.label) for f in data.files),
        base=base,
        output_dir=str(output_dir),
        lora=lora,
        training=training,
        world=world,
        backend=backend,
        threads=max(1, torch.get_num_threads() // world),
        workdir=str(workdir),
        launcher=LAUNCHER,
        metadata=dict(metadata or {}),
    )
    if logger is not None:
        logger.info("Launching %d training processes (%s, %s)", world, backend, LAUNCHER)
    measure = Measure(clock=time.monotonic)
    failure: tuple[int, str] | None = None
    try:
        failure = _launch(job)
    finally:
        own = measure.record(result)
        outcomes = _outcomes(job)
        _merge(result, outcomes, own.peak_memory_bytes)
    if failure is not None:
        raise _failed(result, outcomes, world, *failure)
    return result


def _launch(job: Job) -> tuple[int, str] | None:
    """Run the ranks to the end; the failed rank and what ended it, or None when all finished."""
    context = mp.start_processes(
        run_rank, args=(job,), nprocs=job.world, join=False, start_method="spawn"
    )
    try:
        while not context.join():
            pass
    except mp.ProcessRaisedException as error:
        return error.error_index, error.msg.strip().splitlines()[-1]
    except mp.ProcessExitedException as error:
        ended = (
            f"killed by {error.signal_name}"
            if error.signal_name
            else f"exited with code {error.exit_code}"
        )
        return error.error_index, f"process {error.error_pid} {ended}"
    finally:
        for process in context.processes:  # anything but a rank's failure: stop them all
            if process.is_alive():
                process.kill()
                process.join()
    return None


def _outcomes(job: Job) -> dict[int, Outcome]:
    outcomes = {}
    for rank in range(job.world):
        path = outcome_file(job.workdir, rank)
        if path.is_file():
            outcomes[rank] = pickle.loads(path.read_bytes())
    return outcomes


def _failed(
    result: TrainingResult, outcomes: dict[int, Outcome], world: int, rank: int, ended: str
) -> TrainingFailed:
    """The failed rank's own TrainingFailed when it raised one, else that the process died."""
    outcome = outcomes.get(rank)
    if outcome is not None and outcome.kind is not None and outcome.message:
        return TrainingFailed(f"rank {rank} of {world}: {outcome.message}", result, outcome.kind)
    reason = outcome.message if outcome is not None and outcome.message else ended
    return TrainingFailed(
        f"training process rank {rank} of {world} failed: {reason}", result, FailureKind.RANK
    )


def _merge(result: TrainingResult, outcomes: dict[int, Outcome], own_peak: int) -> None:
    """The job's result: rank 0's view of the model and the steps, every rank's counts and cost."""
    ranks = [outcomes[rank].result for rank in sorted(outcomes)]
    result.ranks = [_rank(rank, outcomes[rank].result) for rank in sorted(outcomes)]
    result.device_count = result.world_size
    if not ranks:
        return
    first = ranks[0]
    for name in (
        "planned_steps",
        "steps",
        "losses",
        "rows_read",
        "device",
        "device_name",
        "precision",
        "target_modules",
        "trainable_parameters",
        "total_parameters",
        "output",
    ):
        setattr(result, name, getattr(first, name))
    result.sequences_seen = sum(r.sequences_seen for r in ranks)
    result.tokens_seen = sum(r.tokens_seen for r in ranks)
    result.train_seconds = max(r.train_seconds for r in ranks)
    result.cpu_seconds += sum(r.cpu_seconds for r in ranks)
    result.peak_memory_bytes = max([own_peak, *(r.peak_memory_bytes or 0 for r in ranks)])
    peaks = [r.peak_device_memory_bytes for r in ranks if r.peak_device_memory_bytes is not None]
    result.peak_device_memory_bytes = max(peaks) if peaks else None


def _rank(rank: int, result: TrainingResult) -> RankResult:
    return RankResult(
        rank=rank,
        device=result.device,
        device_name=result.device_name,
        steps=result.steps,
        sequences_seen=result.sequences_seen,
        tokens_seen=result.tokens_seen,
        wall_seconds=result.wall_seconds,
        train_seconds=result.train_seconds,
        cpu_seconds=result.cpu_seconds,
        peak_memory_bytes=result.peak_memory_bytes,
        peak_device_memory_bytes=result.peak_device_memory_bytes,
    )
