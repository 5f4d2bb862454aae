"""How a token dataset was made: the tokenizer's identity, the settings, and what came out."""

from __future__ import annotations

from typing import Any, ClassVar

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class TokenizerIdentity(RedactMixin):
    """Enough to tell two tokenizers apart: two names may hide different vocabularies."""

    name: str
    sha256: str
    modelType: str
    vocabSize: int
    specialTokens: list[str]
    library: str
    libraryVersion: str
    revision: str | None = attr.field(default=None)
    normalizer: str | None = attr.field(default=None)
    preTokenizer: str | None = attr.field(default=None)
    modelMaxLength: int | None = attr.field(default=None)


@attr.define
class TokenStatistics(RedactMixin):
    min: int
    mean: float
    max: int


@attr.define
class TransformCount(RedactMixin):
    #: Bounding hints (``lineage/facet_walk.py``): strings here keep tabs and newlines.
    _multiline_fields: ClassVar[frozenset[str]] = frozenset({"parameters"})

    name: str
    parameters: dict[str, Any]
    changed: int
    dropped: int


@attr.define
class LlmLineageTokenizationDatasetFacet(ProducedHere, DatasetFacet):
    tokenizer: TokenizerIdentity
    packing: bool
    addEos: bool
    stride: int
    documentsIn: int
    documentsOut: int
    sequences: int
    tokens: int
    transforms: list[TransformCount]
    """Documents each transform changed and dropped, in chain order."""
    maxLength: int | None = attr.field(default=None)
    blockSize: int | None = attr.field(default=None)
    tokensPerDocument: TokenStatistics | None = attr.field(default=None)
    tokensDroppedInLastBlock: int = attr.field(default=0)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageTokenizationDatasetFacet", VERSION)
