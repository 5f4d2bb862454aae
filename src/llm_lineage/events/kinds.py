"""What a dataset is (documents, text, curated text, manifest, decisions, tokens, adapter, base
model, embeddings and their model), from its facets: the one rule every reader labels by.

The custom facets say it most precisely; ``datasetType.subType`` says it for models and for
catalogs; the manifest and the curation decisions have no facet of their own and are known by
the file names extraction and curation always give them.

A step reports the facets that describe a dataset on its output, and only storage, schema and
version on its inputs, so one event alone labels the text ``text`` where it is written and
``dataset`` where it is read. ``dataset_kinds`` labels each dataset once from every occurrence
a page knows (inputs first, outputs over them, as the report merges a dataset's history).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from llm_lineage.events import keys
from llm_lineage.events.values import mapping, records, shown

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

#: (namespace, name) of a dataset.
DatasetKey = tuple[str, str]


def kind(present: Callable[[keys.Facet], bool], sub_type: str | None, name: str) -> str:
    """The rule: ``present`` says whether a facet is there (a non-empty object), ``sub_type``
    is ``datasetType.subType``, ``name`` the dataset's name."""
    if present(keys.COLLECTION) or sub_type == "DOCUMENT_COLLECTION":
        return DOCUMENTS
    if present(keys.ADAPTER) or sub_type == "LORA_ADAPTER":
        return ADAPTER
    if sub_type == "BASE_MODEL":
        return BASE_MODEL
    if present(keys.EMBEDDING) or sub_type == "VECTOR_INDEX":
        return EMBEDDINGS
    if sub_type == "EMBEDDING_MODEL":
        return EMBEDDING_MODEL
    if present(keys.TOKENIZATION):
        return TOKENS
    if present(keys.CURATION):
        return CURATED
    if name.endswith("/manifest.parquet") or name == "manifest.parquet":
        return MANIFEST
    if name.endswith("/decisions.parquet") or name == "decisions.parquet":
        return DECISIONS
    if present(keys.TRANSFORMATIONS):
        return TEXT
    return OTHER


def kind_of(facets: Mapping[str, Any], name: str) -> str:
    """The kind of a dataset from its (parsed) facets dict."""
    return kind(lambda facet: bool(facet.of(facets)), keys.SUB_TYPE.text(facets), name)


def dataset_key(dataset: Any) -> DatasetKey:
    found = mapping(dataset)
    return shown(found.get("namespace")) or "", shown(found.get("name")) or ""


def dataset_kinds(documents: Iterable[Any]) -> dict[DatasetKey, str]:
    """One kind per dataset the documents (events or XCom lineage documents) name: from its
    facets merged over every occurrence, inputs first, so what the writer reported wins."""
    merged: dict[DatasetKey, dict[str, Any]] = {}
    documents = [mapping(document) for document in documents]
    for side in ("inputs", "outputs"):
        for document in documents:
            for dataset in records(document.get(side)):
                facets = merged.setdefault(dataset_key(dataset), {})
                facets.update(mapping(dataset.get("facets")))
    return {key: kind_of(facets, key[1]) for key, facets in merged.items()}
