"""Validated LoRA and training settings: wrong values fail when the DAG is parsed, naming the field.

Pydantic only (no torch), so a scheduler or DAG processor without the ``[lora]`` extra can
still parse DAGs that use the fine-tuning operator.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real

Precision = Literal["auto", "fp32", "bf16", "fp16"]
Device = Literal["auto", "cpu", "cuda"]


class LoRASettings(BaseModel):
    """The adapter's shape, as PEFT's ``LoraConfig`` takes it.

    ``target_modules`` None lets PEFT pick the modules it knows for the architecture (``c_attn``
    for GPT-2, ``q_proj``/``v_proj`` for Llama); ``"all-linear"`` adapts every linear layer.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    r: Integer = Field(default=8, gt=0, le=4096)
    alpha: Integer = Field(default=16, gt=0)
    dropout: Real = Field(default=0.05, ge=0.0, lt=1.0)
    target_modules: tuple[str, ...] | Literal["all-linear"] | None = None
    bias: Literal["none", "all", "lora_only"] = "none"
    task_type: Literal["CAUSAL_LM"] = "CAUSAL_LM"

    @field_validator("target_modules", mode="before")
    @classmethod
    def _modules(cls, value: object) -> object:
        if isinstance(value, str) and value != "all-linear":
            value = [value]
        if isinstance(value, (list, tuple)):
            if not value or not all(isinstance(v, str) and v.strip() for v in value):
                raise ConfigError("must be a non-empty list of module names, 'all-linear' or None")
            return tuple(value)
        return value


class TrainingSettings(BaseModel):
    """Hyperparameters and where to run; ``max_steps`` (when set) overrides ``epochs``."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    learning_rate: Real = Field(default=2e-4, gt=0.0)
    epochs: Integer = Field(default=1, gt=0)
    max_steps: Integer | None = Field(default=None, gt=0)
    batch_size: Integer = Field(default=8, gt=0)
    gradient_accumulation_steps: Integer = Field(default=1, gt=0)
    warmup_steps: Integer = Field(default=0, ge=0)
    weight_decay: Real = Field(default=0.0, ge=0.0)
    max_grad_norm: Real | None = Field(default=1.0, gt=0.0)
    seed: Integer = Field(default=42, ge=0, lt=2**32)
    precision: Precision = "auto"
    device: Device = "auto"
    shuffle_buffer: Integer = Field(default=1000, ge=0)
    """Sequences held for a seeded shuffle while streaming; 0 keeps the file's order."""
    progress_interval: Real = Field(default=10.0, gt=0)

    # Checks across fields are field validators on the later field (fields validate in
    # declaration order, so ``info.data`` holds the earlier ones when they were valid): the
    # error then names a parameter, which a model validator's error cannot.

    @field_validator("warmup_steps")
    @classmethod
    def _warmup_within_max_steps(cls, value: int, info: ValidationInfo) -> int:
        max_steps = info.data.get("max_steps")
        if max_steps is not None and value > max_steps:
            raise ConfigError(f"warmup_steps ({value}) is more than max_steps ({max_steps})")
        return value

    @field_validator("device")
    @classmethod
    def _device_runs_precision(cls, value: Device, info: ValidationInfo) -> Device:
        if value == "cpu" and info.data.get("precision") == "fp16":
            raise ConfigError("precision='fp16' needs device='cuda' (use 'bf16' or 'fp32' on CPU)")
        return value

    @property
    def effective_batch_size(self) -> int:
        """Sequences per optimizer step."""
        return self.batch_size * self.gradient_accumulation_steps


Backend = Literal["auto", "gloo", "nccl"]

#: How the distributed engine starts its processes (``training/distributed.py``).
LAUNCHER = "torch.multiprocessing.spawn"


class DistributedSettings(BaseModel):
    """Data-parallel training on this worker: ``processes`` training processes, one per device.

    ``processes="auto"`` is one per visible GPU (1 on a machine without one). ``backend`` is the
    ``torch.distributed`` backend: ``auto`` is NCCL on GPUs and gloo on CPU.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    processes: Integer | Literal["auto"] = Field(default="auto")
    backend: Backend = "auto"

    @field_validator("processes")
    @classmethod
    def _processes(cls, value: int | str) -> int | str:
        if isinstance(value, int) and not 1 <= value <= MAX_PROCESSES:
            raise ConfigError(f"must be 'auto' or a number of processes from 1 to {MAX_PROCESSES}")
        return value


#: More training processes than one node's devices is a configuration error, not a plan.
MAX_PROCESSES = 64
