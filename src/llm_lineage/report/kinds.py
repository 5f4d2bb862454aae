"""What a dataset is (documents, text, curated text, manifest, decisions, tokens, adapter, base
model, embeddings and their model), from its facets.

The custom facets say it most precisely; ``datasetType`` says it for catalogs; the manifest and
the curation decisions have no facet of their own and are known by their file names, which
extraction and curation always give them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.report.facets import custom, text

DOCUMENTS = "documents"
TEXT = "text"
CURATED = "curated text"
MANIFEST = "manifest"
DECISIONS = "decisions"
TOKENS = "tokens"
ADAPTER = "adapter"
BASE_MODEL = "base model"
EMBEDDINGS = "embeddings"
EMBEDDING_MODEL = "embedding model"
OTHER = "dataset"

#: Kinds that are a pipeline's product or its record: nothing downstream is expected to read
#: them, so they are never flagged idle or orphaned.
PRODUCTS = frozenset({ADAPTER, DECISIONS})


def kind_of(facets: Mapping[str, Any], name: str) -> str:
    sub_type = text(facets, "datasetType", "subType")
    if custom(facets, "documentCollection") or sub_type == "DOCUMENT_COLLECTION":
        return DOCUMENTS
    if custom(facets, "loraAdapter") or sub_type == "LORA_ADAPTER":
        return ADAPTER
    if sub_type == "BASE_MODEL":
        return BASE_MODEL
    if custom(facets, "embedding") or sub_type == "VECTOR_INDEX":
        return EMBEDDINGS
    if sub_type == "EMBEDDING_MODEL":
        return EMBEDDING_MODEL
    if custom(facets, "tokenization"):
        return TOKENS
    if custom(facets, "curation"):
        return CURATED
    if name.endswith("/manifest.parquet") or name == "manifest.parquet":
        return MANIFEST
    if name.endswith("/decisions.parquet") or name == "decisions.parquet":
        return DECISIONS
    if custom(facets, "transformations"):
        return TEXT
    return OTHER
