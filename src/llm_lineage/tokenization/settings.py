"""Validated tokenization settings: wrong values fail when the DAG is parsed, naming the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real
from llm_lineage.tokenization.loader import LoadedTokenizer
from llm_lineage.tokenization.transforms import DEFAULT_TRANSFORMS, TransformSpec, parse_transforms


class TokenizationSettings(BaseModel):
    """How text becomes token sequences; shared by the hook and the operator.

    ``max_length`` and ``stride`` shape per-document chunks; ``block_size`` shapes packed
    sequences (``packing=True``), where ``max_length`` and ``stride`` do not apply.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    transforms: tuple[TransformSpec, ...] = Field(
        default_factory=lambda: parse_transforms(DEFAULT_TRANSFORMS)
    )
    packing: bool = False
    """Declared before ``max_length`` and ``stride`` so that their validators can read it."""
    max_length: Integer | None = Field(default=1024, gt=0)
    stride: Integer = Field(default=0, ge=0)
    block_size: Integer = Field(default=1024, gt=0)
    add_eos: bool = True
    batch_size: Integer = Field(default=256, gt=0)
    row_group_rows: Integer = Field(default=1000, gt=0)
    progress_interval: Real = Field(default=10.0, gt=0)

    @field_validator("transforms", mode="before")
    @classmethod
    def _transforms(cls, value: Any) -> Any:
        return parse_transforms(value) if value is not None else value

    # Checks across fields are field validators on the later field (fields validate in
    # declaration order, so ``info.data`` holds the earlier ones when they were valid): the
    # error then names a parameter, which a model validator's error cannot.

    @field_validator("max_length")
    @classmethod
    def _max_length_without_packing(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is None and info.data.get("packing") is False:
            raise ConfigError(
                "max_length must be set when packing is False: it is the length of each "
                "document's chunks (or set packing=True to use block_size)"
            )
        return value

    @field_validator("stride")
    @classmethod
    def _stride_below_max_length(cls, value: int, info: ValidationInfo) -> int:
        max_length = info.data.get("max_length")
        if max_length is not None and value >= max_length:
            raise ConfigError(
                f"stride ({value}) must be smaller than max_length ({max_length}): "
                "consecutive chunks overlap by stride tokens"
            )
        return value

    @property
    def sequence_length(self) -> int:
        """The longest sequence written: block_size when packing, else max_length."""
        if self.packing:
            return self.block_size
        assert self.max_length is not None  # checked by _max_length_without_packing
        return self.max_length

    def check_against(self, tokenizer: LoadedTokenizer) -> None:
        """Raise ValueError when these settings do not fit ``tokenizer``.

        Sequences longer than the model's positions cannot be trained on, and add_eos needs
        an end-of-text token that the vocabulary holds.
        """
        limit = tokenizer.model_max_length
        field = "block_size" if self.packing else "max_length"
        if limit is not None and self.sequence_length > limit:
            raise ConfigError(
                f"{field}={self.sequence_length} is over the model_max_length={limit} of "
                f"tokenizer {tokenizer.source}"
            )
        if self.add_eos:
            if tokenizer.eos_token is None:
                raise ConfigError(
                    f"add_eos=True but tokenizer {tokenizer.source} has no known end-of-text "
                    "token (no eos_token in tokenizer_config.json and none of "
                    "</s>, <|endoftext|>, [SEP], <eos> in its vocabulary); set add_eos=False"
                )
            if tokenizer.eos_token_id is None:
                raise ConfigError(
                    f"add_eos=True but the eos_token {tokenizer.eos_token!r} of tokenizer "
                    f"{tokenizer.source} is not in its vocabulary; set add_eos=False"
                )
