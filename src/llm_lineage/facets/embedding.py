"""How an embeddings dataset was made: the model's identity, the chunking, what came out."""

from __future__ import annotations

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class EmbeddingModelIdentity(RedactMixin):
    """Enough to tell two embedding models apart: a name can hide other weights."""

    name: str
    fingerprint: str
    dimension: int
    similarity: str
    maxSeqLength: int
    library: str
    libraryVersion: str
    revision: str | None = attr.field(default=None)
    modelType: str | None = attr.field(default=None)


@attr.define
class VectorStoreTable(RedactMixin):
    """The vector-store table that holds the same vectors, at the version this run wrote."""

    kind: str
    uri: str
    table: str
    tableVersion: int
    tag: str


@attr.define
class LlmLineageEmbeddingDatasetFacet(ProducedHere, DatasetFacet):
    model: EmbeddingModelIdentity
    normalized: bool
    chunkTokens: int
    overlapTokens: int
    includesText: bool
    documentsIn: int
    documentsEmbedded: int
    chunks: int
    tokens: int
    truncatedChunks: int
    """Chunks longer than the model's maxSeqLength: only their first tokens were embedded."""
    vectorStore: VectorStoreTable | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageEmbeddingDatasetFacet", VERSION)
