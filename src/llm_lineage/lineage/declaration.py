"""A source's declaration: what kind of data it is, under which licence, whether text and data
mining opt-outs were respected when it was collected, and the name it may be published under.

Nothing in the documents says these things; the operator of a pipeline declares them, once per
source, as a YAML file or a dict (``DocumentExtractionOperator(source_declaration=...)``). The
extraction step carries the declaration in its document-collection facet and in the Parquet
footers of its text and manifest, so the report can answer "which adapters were trained on data
under licence X" and the EU AI Act summary can list the sources by the template's kinds.

The kinds are the sections of the European Commission's template for the public summary of
training content (24 July 2025), section 2: publicly available datasets, private datasets
licensed from rightsholders or obtained from other third parties, data crawled and scraped
online, user data, synthetic data, and other sources.
"""

from __future__ import annotations

import enum
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from llm_lineage.common.errors import LlmLineageError

#: The Parquet footer key of the declaration (JSON) in the text and manifest files.
DECLARATION_KEY = "llm_lineage.source_declaration"
#: A declaration file is a few lines; anything larger is not one.
MAX_FILE_BYTES = 64 * 1024


class SourceKind(str, enum.Enum):
    """The template's kinds of data source (section 2)."""

    PUBLIC_DATASET = "public_dataset"
    LICENSED_PRIVATE = "licensed_private"
    OTHER_PRIVATE = "other_private"
    CRAWLED = "crawled"
    USER_DATA = "user_data"
    SYNTHETIC = "synthetic"
    OTHER = "other"


class DeclarationError(LlmLineageError, ValueError):
    """A declaration file or mapping that is not a valid declaration; the message names it."""


class SourceDeclaration(BaseModel):
    """One source's declaration. ``licence`` is an SPDX identifier or the licence's name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SourceKind
    licence: str = Field(min_length=1, max_length=200)
    opt_out_respected: bool | None = None
    """True or False as declared; None (left out) when the provider does not say."""
    public_name: str = Field(min_length=1, max_length=200)

    def as_footer(self) -> dict[str, str]:
        return {DECLARATION_KEY: json.dumps(self.model_dump(mode="json"), sort_keys=True)}


def parse_declaration(value: Mapping[str, Any], origin: str) -> SourceDeclaration:
    """A declaration from a mapping; ``DeclarationError`` naming ``origin`` and the field."""
    if not isinstance(value, Mapping):
        raise DeclarationError(f"{origin}: a declaration is a mapping (got {type(value).__name__})")
    try:
        return SourceDeclaration(**{str(key): item for key, item in value.items()})
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "?"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise DeclarationError(f"{origin}: field '{field}': {message}") from None


def read_yaml(path: str | os.PathLike[str]) -> Any:
    """A small YAML file, parsed safely; ``DeclarationError`` naming it when it cannot be."""
    location = Path(path)
    try:
        with location.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        raise DeclarationError(f"cannot read {location}: {error.strerror or error}") from None
    if len(data) > MAX_FILE_BYTES:
        raise DeclarationError(f"{location}: larger than {MAX_FILE_BYTES} bytes")
    try:
        return yaml.safe_load(data.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        reason = " ".join(str(error).split())[:200]
        raise DeclarationError(f"{location}: not a YAML file ({reason})") from None


def load_declaration(value: Mapping[str, Any] | str | os.PathLike[str]) -> SourceDeclaration:
    """A declaration given as a mapping or as the path of a YAML file holding one."""
    if isinstance(value, (str, os.PathLike)):
        return parse_declaration(read_yaml(value), os.fspath(value))
    return parse_declaration(value, "source_declaration")


def load_declarations(path: str | os.PathLike[str]) -> dict[str, SourceDeclaration]:
    """A file of declarations by source (a path or URI as lineage names it), for the exports:
    ``{source: {kind: ..., licence: ..., ...}, ...}``."""
    data = read_yaml(path)
    if not isinstance(data, Mapping):
        raise DeclarationError(f"{os.fspath(path)}: a mapping of sources to declarations")
    return {
        str(source): parse_declaration(item, f"{os.fspath(path)}: source {source!r}")
        for source, item in data.items()
    }


def footer_declaration(metadata: Mapping[bytes, bytes] | None) -> SourceDeclaration | None:
    """The declaration a Parquet footer carries, or None (none, or not one we can read)."""
    raw = (metadata or {}).get(DECLARATION_KEY.encode())
    if raw is None:
        return None
    try:
        return SourceDeclaration(**json.loads(raw))
    except (ValueError, TypeError):
        return None
