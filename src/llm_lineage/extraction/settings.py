"""Validated extraction settings: wrong values fail when the DAG is parsed, naming the field."""

from __future__ import annotations

import os
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real
from llm_lineage.extraction.limits import (
    DEFAULT_MAX_CHARACTERS,
    DEFAULT_MAX_EXPANDED_BYTES,
    ReadLimits,
)

DEFAULT_INCLUDE: tuple[str, ...] = ("*.pdf", "*.docx", "*.html", "*.htm", "*.md", "*.txt")


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and cgroups narrow)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


class ExtractionSettings(BaseModel):
    """How a corpus is read; shared by the hook and the operator.

    The ``max_*`` limits bound what one document may cost; a document past one is recorded as
    failed with the limit in its reason, and the run goes on. ``workers`` reader processes
    parse documents (None: one per available core); each is replaced when a document kills it
    or runs past ``max_document_seconds``. ``workers=0`` parses in the task's own process,
    without the time and memory limits (for debugging and tests).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    include: tuple[str, ...] = Field(default=DEFAULT_INCLUDE, min_length=1)
    exclude: tuple[str, ...] = ()
    on_error: Literal["skip", "fail"] = "skip"
    max_document_bytes: Integer = Field(default=256 * 1024 * 1024, gt=0)
    max_document_characters: Integer = Field(default=DEFAULT_MAX_CHARACTERS, gt=0)
    max_expanded_bytes: Integer = Field(default=DEFAULT_MAX_EXPANDED_BYTES, gt=0)
    max_document_seconds: Real = Field(default=120.0, gt=0)
    max_document_memory_bytes: Integer = Field(default=2 * 1024**3, ge=64 * 1024**2)
    workers: Integer | None = Field(default=None, ge=0, le=256)
    follow_symlinks_outside_source: bool = False
    row_group_rows: Integer = Field(default=1000, gt=0)
    progress_interval: Real = Field(default=10.0, gt=0)

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _patterns(cls, value: object) -> object:
        if isinstance(value, str):
            return (value,)
        return value

    @field_validator("include", "exclude")
    @classmethod
    def _non_empty_patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if any(not pattern.strip() for pattern in value):
            raise ConfigError("patterns must be non-empty glob strings such as '*.pdf'")
        return value

    @property
    def worker_count(self) -> int:
        """Reader processes to start: ``workers``, or one per available core."""
        return available_cores() if self.workers is None else self.workers

    @property
    def read_limits(self) -> ReadLimits:
        return ReadLimits(
            max_characters=self.max_document_characters,
            max_expanded_bytes=self.max_expanded_bytes,
        )
