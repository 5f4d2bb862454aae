"""Validated extraction settings: wrong values fail when the DAG is parsed, naming the field."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

DEFAULT_INCLUDE: tuple[str, ...] = ("*.pdf", "*.docx", "*.html", "*.htm", "*.md", "*.txt")


class ExtractionSettings(BaseModel):
    """How a corpus is read; shared by the hook and the operator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    include: tuple[str, ...] = Field(default=DEFAULT_INCLUDE, min_length=1)
    exclude: tuple[str, ...] = ()
    on_error: Literal["skip", "fail"] = "skip"
    max_document_bytes: int = Field(default=256 * 1024 * 1024, gt=0)
    row_group_rows: int = Field(default=1000, gt=0)
    progress_interval: float = Field(default=10.0, gt=0)

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
            raise ValueError("patterns must be non-empty glob strings such as '*.pdf'")
        return value
