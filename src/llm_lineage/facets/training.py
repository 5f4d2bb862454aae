"""How a model was trained: every hyperparameter, how far it got, the losses, where it ran.

1-1-0 adds a distributed run's world size, backend, launcher and each rank's progress (all
optional, so every 1-0-0 facet is a valid 1-1-0 one).
"""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-1-0"


@attr.define
class Hyperparameters(RedactMixin):
    learningRate: float
    epochs: int
    batchSize: int
    gradientAccumulationSteps: int
    effectiveBatchSize: int
    warmupSteps: int
    weightDecay: float
    seed: int
    precision: str
    """As asked: auto, fp32, bf16 or fp16."""
    device: str
    """As asked: auto, cpu or cuda."""
    shuffleBuffer: int
    maxSteps: int | None = attr.field(default=None)
    maxGradNorm: float | None = attr.field(default=None)
    schedule: str = attr.field(default="linear")
    optimizer: str = attr.field(default="AdamW")


@attr.define
class LossSummary(RedactMixin):
    first: float | None = attr.field(default=None)
    last: float | None = attr.field(default=None)
    best: float | None = attr.field(default=None)
    bestStep: int | None = attr.field(default=None)


@attr.define
class LossPoint(RedactMixin):
    step: int
    loss: float


@attr.define
class RankProgress(RedactMixin):
    rank: int
    steps: int
    sequencesSeen: int
    tokensSeen: int


@attr.define
class LlmLineageTrainingRunFacet(ProducedHere, RunFacet):
    status: str
    """completed, or the failure's kind: nan_loss, out_of_memory, dataset, base_model, ..."""
    hyperparameters: Hyperparameters
    plannedSteps: int
    steps: int
    epochs: float
    """Passes over the dataset done (fractional)."""
    sequencesSeen: int
    tokensSeen: int
    loss: LossSummary
    lossCurve: list[LossPoint]
    """At most 50 evenly spaced (step, loss) points."""
    durationSeconds: float
    libraries: dict[str, str]
    device: str | None = attr.field(default=None)
    """Where it ran: cpu or cuda."""
    deviceName: str | None = attr.field(default=None)
    precision: str | None = attr.field(default=None)
    """What ran: fp32, bf16 or fp16."""
    worldSize: int | None = attr.field(default=None)
    """Training processes, one device each; 1 when the task trained in its own process."""
    backend: str | None = attr.field(default=None)
    """gloo or nccl, for a distributed run."""
    launcher: str | None = attr.field(default=None)
    ranks: list[RankProgress] | None = attr.field(default=None)
    """Each rank's steps, sequences and tokens; sequencesSeen and tokensSeen are their sums."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageTrainingRunFacet", VERSION)
