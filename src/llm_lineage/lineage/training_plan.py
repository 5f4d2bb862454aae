"""Where a fine-tuning run reads and writes, and with what: the plan every training builder takes."""

from __future__ import annotations

from dataclasses import dataclass

from llm_lineage.training import (
    DistributedSettings,
    LoRASettings,
    TrainingSettings,
)


@dataclass(frozen=True)
class TrainingPlan:
    """Where a run reads and writes, and with what; known before it starts."""

    datasets: tuple[str, ...]
    """The token files, in the order they are read."""
    output: str
    base_model: str
    base_location: str
    lora: LoRASettings
    training: TrainingSettings
    revision: str | None = None
    cost_per_hour: float | None = None
    currency: str = "USD"
    environment: tuple[tuple[str, str], ...] = ()
    replaced: bool = False
    distributed: DistributedSettings | None = None
    """Data-parallel settings; "auto" until the worker resolves it, just before training."""
