"""What a dataset is (documents, text, manifest, tokens, adapter, base model, embeddings and their
model), from its facets.

The custom facets say it most precisely; ``datasetType`` says it for catalogs; the manifest has
no facet of its own and is known by its file name, which extraction always gives it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.report.facets import custom, text

DOCUMENTS = "documents"
TEXT = "text"
MANIFEST = "manifest"
TOKENS = "tokens"
ADAPTER = "adapter"
BASE_MODEL = "base model"
EMBEDDINGS = "embeddings"
EMBEDDING_MODEL = "embedding model"
OTHER = "dataset"

#: Kinds that are a pipeline's product: nothing downstream is expected to read them, so they
#: are never flagged idle or orphaned.
PRODUCTS = frozenset({ADAPTER})


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
    if name.endswith("/manifest.parquet") or name == "manifest.parquet":
        return MANIFEST
    if custom(facets, "transformations"):
        return TEXT
    return OTHER
