"""Embedding engine (no Airflow import): model resolution, token chunking, vectors, LanceDB.

sentence-transformers (and torch) and lancedb are imported inside the functions that need them,
so this package imports without the ``[embedding]`` extra.
"""

from __future__ import annotations

from llm_lineage.embedding.chunking import Chunk, Chunker
from llm_lineage.embedding.engine import embed_corpus
from llm_lineage.embedding.loader import (
    DEFINING_PATTERNS,
    is_hub_id,
    load_model,
    model_location,
    resolve_local_copy,
    resolve_model,
)
from llm_lineage.embedding.model import (
    EmbeddingFailed,
    EmbeddingModelError,
    EmbeddingResult,
    LoadedModel,
    ModelFiles,
)
from llm_lineage.embedding.settings import EmbeddingSettings
from llm_lineage.embedding.tables import EMBEDDINGS_FILE, output_schema
from llm_lineage.embedding.vector_store import (
    TableVersion,
    VectorStoreError,
    version_tag,
    write_lance_table,
)

__all__ = [
    "DEFINING_PATTERNS",
    "EMBEDDINGS_FILE",
    "Chunk",
    "Chunker",
    "EmbeddingFailed",
    "EmbeddingModelError",
    "EmbeddingResult",
    "EmbeddingSettings",
    "LoadedModel",
    "ModelFiles",
    "TableVersion",
    "VectorStoreError",
    "embed_corpus",
    "is_hub_id",
    "load_model",
    "model_location",
    "output_schema",
    "resolve_local_copy",
    "resolve_model",
    "version_tag",
    "write_lance_table",
]
