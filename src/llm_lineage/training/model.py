"""Typed facts of a fine-tuning run: the base model it started from, what it did, what it wrote."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from llm_lineage.common.errors import LlmLineageError


@dataclass(frozen=True)
class FileDigest:
    """One file of a model folder: enough to tell whether two folders hold the same weights."""

    name: str
    size_bytes: int
    sha256: str


@dataclass(frozen=True)
class BaseModelInfo:
    """A base model resolved to a local folder, with what identifies it exactly.

    ``fingerprint`` hashes the config and every weight file, so two copies of the same weights
    (a hub snapshot and a local mirror) get the same fingerprint whatever they are called.
    """

    source: str
    """As the user gave it: a local folder or a hub id."""
    location: str
    """The URI lineage names it by: ``file:///abs/folder`` or ``https://huggingface.co/<id>``."""
    path: str
    """The local folder that holds it (a hub snapshot for hub ids)."""
    revision: str | None
    resolved_revision: str | None
    model_type: str | None
    architectures: tuple[str, ...]
    config_sha256: str
    weight_files: tuple[FileDigest, ...]
    fingerprint: str
    name_or_path: str | None = None
    """The config's ``_name_or_path``: the hub id a local copy was saved from, when it says."""

    @property
    def weight_format(self) -> str:
        names = [f.name for f in self.weight_files]
        return "safetensors" if all(n.endswith(".safetensors") for n in names) else "pytorch"

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.weight_files)


class FailureKind(str, Enum):
    """Why a run stopped; recorded in lineage so that failures can be counted by cause."""

    NAN_LOSS = "nan_loss"
    OUT_OF_MEMORY = "out_of_memory"
    DATASET = "dataset"
    BASE_MODEL = "base_model"
    ADAPTER = "adapter"
    DEVICE = "device"
    RANK = "rank_failed"
    """A training process of a distributed run died or raised an unexpected error."""


@dataclass(frozen=True)
class LossPoint:
    step: int
    loss: float


@dataclass(frozen=True)
class AdapterOutput:
    files: tuple[FileDigest, ...]
    content_hash: str
    """sha256 of ``adapter_model.safetensors``: the adapter's weights, the dataset's version."""

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)


@dataclass
class RankResult:
    """What one process of a distributed run did, on which device, at what cost."""

    rank: int
    device: str | None
    device_name: str | None
    steps: int
    sequences_seen: int
    tokens_seen: int
    wall_seconds: float
    train_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int | None
    peak_device_memory_bytes: int | None


@dataclass
class TrainingResult:
    """Everything one run learned, filled in as it goes so that a failed run can report it too."""

    sequences: int = 0
    """Sequences in the token dataset (one epoch)."""
    planned_steps: int = 0
    steps: int = 0
    """Optimizer steps done."""
    sequences_seen: int = 0
    rows_read: list[int] = field(default_factory=list)
    """Rows read from each input file, all epochs."""
    tokens_seen: int = 0
    losses: list[LossPoint] = field(default_factory=list)
    """Mean loss of each optimizer step."""
    device: str | None = None
    device_name: str | None = None
    device_count: int = 0
    precision: str | None = None
    target_modules: tuple[str, ...] = ()
    trainable_parameters: int | None = None
    total_parameters: int | None = None
    libraries: dict[str, str] = field(default_factory=dict)
    output: AdapterOutput | None = None
    wall_seconds: float = 0.0
    train_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    peak_device_memory_bytes: int | None = None
    failure: FailureKind | None = None
    world_size: int = 1
    """Training processes, one device each (1: trained in the task's own process)."""
    backend: str | None = None
    """The ``torch.distributed`` backend of a distributed run: gloo or nccl."""
    launcher: str | None = None
    ranks: list[RankResult] = field(default_factory=list)
    """Each process that reported, by rank; empty for a run in one process."""

    @property
    def epochs_done(self) -> float:
        return self.sequences_seen / self.sequences if self.sequences else 0.0

    @property
    def loss_first(self) -> float | None:
        return self.losses[0].loss if self.losses else None

    @property
    def loss_last(self) -> float | None:
        return self.losses[-1].loss if self.losses else None

    @property
    def loss_best(self) -> LossPoint | None:
        finite = [p for p in self.losses if math.isfinite(p.loss)]
        return min(finite, key=lambda p: p.loss) if finite else None

    @property
    def tokens_per_second(self) -> float:
        return self.tokens_seen / self.train_seconds if self.train_seconds > 0 else 0.0

    def loss_curve(self, points: int = 50) -> list[LossPoint]:
        """At most ``points`` evenly spaced losses, first and last included: events stay small."""
        if len(self.losses) <= points:
            return list(self.losses)
        last = len(self.losses) - 1
        picks = sorted({round(i * last / (points - 1)) for i in range(points)})
        return [self.losses[i] for i in picks]


class DeviceUnavailable(LlmLineageError, RuntimeError):
    """The device the settings name (``cuda``) is not visible to this worker."""


class TrainingFailed(LlmLineageError):
    """The run stopped; ``result`` holds what it got through and ``result.failure`` why."""

    def __init__(self, message: str, result: TrainingResult, kind: FailureKind) -> None:
        super().__init__(message)
        result.failure = kind
        self.result = result
        self.kind = kind
