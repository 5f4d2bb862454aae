"""Validated embedding settings: wrong values fail when the DAG is parsed, naming the field."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real


class EmbeddingSettings(BaseModel):
    """How text becomes chunks and vectors; shared by the hook and the operator.

    ``chunk_tokens`` and ``overlap_tokens`` count tokens of the embedding model's own tokenizer,
    without its special tokens. ``batch_size`` is the encoder's batch; ``read_rows`` the
    documents read from the source at a time (memory holds one such batch and its chunks).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    chunk_tokens: Integer = Field(default=256, gt=0)
    overlap_tokens: Integer = Field(default=32, ge=0)
    normalize: bool = True
    include_text: bool = False
    batch_size: Integer = Field(default=64, gt=0)
    read_rows: Integer = Field(default=64, gt=0)
    row_group_rows: Integer = Field(default=1000, gt=0)
    device: str | None = None
    """``cpu``, ``cuda``, ``cuda:1``, ``mps``; None: the GPU when there is one, else the CPU."""
    progress_interval: Real = Field(default=10.0, gt=0)

    @field_validator("overlap_tokens")
    @classmethod
    def _overlap_below_chunk(cls, value: int, info: ValidationInfo) -> int:
        chunk = info.data.get("chunk_tokens")
        if chunk is not None and value >= chunk:
            raise ConfigError(
                f"overlap_tokens ({value}) must be smaller than chunk_tokens ({chunk}): "
                "consecutive chunks share overlap_tokens tokens"
            )
        return value

    @field_validator("device")
    @classmethod
    def _device(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kind = value.split(":", 1)[0]
        if kind not in {"cpu", "cuda", "mps", "xpu"} or not value.strip():
            raise ConfigError("device must be cpu, cuda, cuda:<n>, mps, xpu or None (automatic)")
        return value

    def versioned(self) -> dict[str, object]:
        """The settings a dataset version depends on (not batch sizes, device or progress)."""
        return {
            "chunk_tokens": self.chunk_tokens,
            "overlap_tokens": self.overlap_tokens,
            "normalize": self.normalize,
            "include_text": self.include_text,
        }
