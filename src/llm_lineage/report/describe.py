"""Facets to the plain summaries the answers print: one function per kind of dataset or step.

Summaries hold counts, hashes, names, settings and author names under the author policy the
extraction used (names, salted tokens, or none), never document text: the events carry none.
Keys are snake_case and stable, because ``--json`` output is an interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.events import keys, kinds
from llm_lineage.report.facets import (
    as_integer,
    as_number,
    as_text,
    at,
    custom,
    integer,
    items,
    mapping,
    number,
    text,
)


def dataset_details(kind: str, facets: Mapping[str, Any]) -> dict[str, Any]:
    """What to say about one version of a dataset of ``kind``."""
    describe = _BY_KIND.get(kind)
    return describe(facets) if describe else {}


def _documents(facets: Mapping[str, Any]) -> dict[str, Any]:
    collection = custom(facets, keys.COLLECTION)
    return {
        "documents": integer(collection, "documentCount"),
        "failed": integer(collection, "failedDocumentCount"),
        "bytes": integer(collection, "totalBytes"),
        "formats": {
            str(entry.get("format")): integer(entry, "documentCount")
            for entry in items(collection, "formats")
        },
        "created": _range(collection, "created"),
        "modified": _range(collection, "modified"),
        "author_policy": text(collection, "authorPolicy"),
        "authors": [
            {"name": text(entry, "name"), "documents": integer(entry, "documentCount")}
            for entry in items(collection, "authors")
        ],
        "distinct_authors": integer(collection, "distinctAuthorCount"),
        "authors_truncated": at(collection, "authorsTruncated") is True,
        "documents_without_author": integer(collection, "documentsWithoutAuthor"),
        "manifest": text(collection, "manifestUri"),
        "declaration": declaration(collection),
    }


def declaration(collection: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the pipeline's operator declared about the source (facet 1-1-0), or None."""
    declared = mapping(collection.get("declaration"))
    if not declared:
        return None
    opt_out = at(declared, "optOutRespected")
    return {
        "kind": text(declared, "kind"),
        "licence": text(declared, "licence"),
        "opt_out_respected": opt_out if isinstance(opt_out, bool) else None,
        "public_name": text(declared, "publicName"),
    }


def _range(collection: Mapping[str, Any], key: str) -> dict[str, str | None]:
    return {
        "earliest": text(collection, key, "earliest"),
        "latest": text(collection, key, "latest"),
    }


def _tokens(facets: Mapping[str, Any]) -> dict[str, Any]:
    tokenization = custom(facets, keys.TOKENIZATION)
    tokenizer = mapping(tokenization.get("tokenizer"))
    return {
        "tokens": integer(tokenization, "tokens"),
        "sequences": integer(tokenization, "sequences"),
        "block_size": integer(tokenization, "blockSize"),
        "packing": at(tokenization, "packing"),
        "documents_in": integer(tokenization, "documentsIn"),
        "documents_out": integer(tokenization, "documentsOut"),
        "tokenizer": {
            "name": text(tokenizer, "name"),
            "type": text(tokenizer, "modelType"),
            "vocabulary": integer(tokenizer, "vocabSize"),
            "sha256": text(tokenizer, "sha256"),
            "library": text(tokenizer, "library"),
            "library_version": text(tokenizer, "libraryVersion"),
        },
        "transforms": [
            {
                "name": text(entry, "name"),
                "parameters": mapping(entry.get("parameters")),
                "changed": integer(entry, "changed"),
                "dropped": integer(entry, "dropped"),
            }
            for entry in items(tokenization, "transforms")
        ],
    }


def _curated(facets: Mapping[str, Any]) -> dict[str, Any]:
    curation = custom(facets, keys.CURATION)
    return {
        "documents_in": integer(curation, "documentsIn"),
        "documents_out": integer(curation, "documentsOut"),
        "documents_changed": integer(curation, "documentsChanged"),
        "characters_dropped": integer(curation, "charactersDropped"),
        "dropped": {
            str(entry.get("rule")): integer(entry, "documents")
            for entry in items(curation, "dropped")
        },
        "pii_mode": text(curation, "piiMode"),
        "pii_found": {
            str(entry.get("kind")): integer(entry, "found") for entry in items(curation, "piiFound")
        },
        "decisions": text(curation, "decisionsUri"),
    }


def _adapter(facets: Mapping[str, Any]) -> dict[str, Any]:
    adapter = custom(facets, keys.ADAPTER)
    return {
        "base_model": {
            "name": text(adapter, "baseModel", "name"),
            "fingerprint": text(adapter, "baseModel", "fingerprint"),
            "revision": text(adapter, "baseModel", "resolvedRevision")
            or text(adapter, "baseModel", "revision"),
            "model_type": text(adapter, "baseModel", "modelType"),
        },
        "lora": {
            "r": integer(adapter, "r"),
            "alpha": number(adapter, "alpha"),
            "dropout": number(adapter, "dropout"),
            "target_modules": [m for m in at(adapter, "targetModules") or [] if isinstance(m, str)],
            "bias": text(adapter, "bias"),
            "task_type": text(adapter, "taskType"),
        },
        "trainable_parameters": integer(adapter, "trainableParameters"),
        "total_parameters": integer(adapter, "totalParameters"),
        "peft_version": text(adapter, "peftVersion"),
    }


def _base_model(facets: Mapping[str, Any]) -> dict[str, Any]:
    tags = {text(tag, "key"): text(tag, "value") for tag in items(facets, "tags", "tags")}
    return {
        "fingerprint": text(facets, *keys.DATASET_VERSION.keys),
        "model_type": tags.get("llm_lineage.model_type"),
        "revision": tags.get("llm_lineage.revision"),
    }


def _embeddings(facets: Mapping[str, Any]) -> dict[str, Any]:
    embedding = custom(facets, keys.EMBEDDING)
    model = mapping(embedding.get("model"))
    store = mapping(embedding.get("vectorStore"))
    return {
        "chunks": integer(embedding, "chunks"),
        "tokens": integer(embedding, "tokens"),
        "documents_in": integer(embedding, "documentsIn"),
        "documents_embedded": integer(embedding, "documentsEmbedded"),
        "truncated_chunks": integer(embedding, "truncatedChunks"),
        "chunk_tokens": integer(embedding, "chunkTokens"),
        "overlap_tokens": integer(embedding, "overlapTokens"),
        "normalized": at(embedding, "normalized"),
        "model": {
            "name": text(model, "name"),
            "fingerprint": text(model, "fingerprint"),
            "revision": text(model, "revision"),
            "dimension": integer(model, "dimension"),
            "similarity": text(model, "similarity"),
            "max_seq_length": integer(model, "maxSeqLength"),
            "library_version": text(model, "libraryVersion"),
        },
        "vector_store": {
            "kind": text(store, "kind"),
            "uri": text(store, "uri"),
            "table": text(store, "table"),
            "table_version": integer(store, "tableVersion"),
            "tag": text(store, "tag"),
        }
        if store
        else None,
    }


_BY_KIND = {
    kinds.DOCUMENTS: _documents,
    kinds.CURATED: _curated,
    kinds.TOKENS: _tokens,
    kinds.ADAPTER: _adapter,
    kinds.BASE_MODEL: _base_model,
    kinds.EMBEDDINGS: _embeddings,
    kinds.EMBEDDING_MODEL: _base_model,
}


def training_details(run_facets: Mapping[str, Any]) -> dict[str, Any] | None:
    """How a training run went: hyperparameters, steps, losses, device; None for other runs."""
    training = custom(run_facets, keys.TRAINING)
    if not training:
        return None
    return {
        "status": text(training, "status"),
        "hyperparameters": dict(mapping(training.get("hyperparameters"))),
        "steps": integer(training, "steps"),
        "epochs": number(training, "epochs"),
        "tokens_seen": integer(training, "tokensSeen"),
        "loss": {key: number(training, "loss", key) for key in ("first", "last", "best")},
        "device": text(training, "device"),
        "device_name": text(training, "deviceName"),
        "precision": text(training, "precision"),
        "libraries": dict(mapping(training.get("libraries"))),
        "world_size": integer(training, "worldSize"),
        "backend": text(training, "backend"),
        "devices": len(items(custom(run_facets, keys.RESOURCES), "devices")),
    }


def chain(facets: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The transformation steps recorded on a dataset, in order."""
    return [
        {
            "name": text(step, "name"),
            "stage": text(step, "step"),
            "library": text(step, "library"),
            "version": text(step, "version"),
            "parameters": dict(mapping(step.get("parameters"))),
            "fingerprint": text(step, "fingerprint"),
        }
        for step in items(custom(facets, keys.TRANSFORMATIONS), "steps")
    ]


def resource_details(run_facets: Mapping[str, Any]) -> dict[str, Any]:
    """What a run consumed, from ``llmLineage_resourceUsage``: compute seconds are the billed
    device time where the run reported one (training), else its wall time."""
    usage = custom(run_facets, keys.RESOURCES)  # parsed: its values are read as they are
    compute = as_number(usage.get("computeSeconds"))
    cost = as_number(usage.get("estimatedCost"))
    device = as_text(usage.get("deviceKind"))
    name = as_text(usage.get("deviceName"))
    return {
        "reported": bool(usage),
        "compute_seconds": compute if compute is not None else as_number(usage.get("wallSeconds")),
        "device": f"{device} ({name})" if device and name else device,
        "cost": None if cost is None else {as_text(usage.get("currency")) or "?": cost},
        "items": as_integer(usage.get("itemsProcessed")),
        "item_unit": as_text(usage.get("itemUnit")),
    }


def code_details(run_facets: Mapping[str, Any]) -> dict[str, Any] | None:
    """The code a run ran (``llmLineage_environment.sourceCode``); None when it named none."""
    code = mapping(custom(run_facets, keys.ENVIRONMENT).get("sourceCode"))
    if not code:
        return None
    dirty = at(code, "dirty")
    return {
        "origin": text(code, "origin"),
        "repository": text(code, "repoUrl"),
        "path": text(code, "path"),
        "commit": text(code, "commit"),
        "branch": text(code, "branch"),
        "tag": text(code, "tag"),
        "dirty": dirty if isinstance(dirty, bool) else None,
    }


def environment_details(run_facets: Mapping[str, Any]) -> dict[str, Any] | None:
    """Where a run ran (``llmLineage_environment``); None when it did not say."""
    environment = custom(run_facets, keys.ENVIRONMENT)
    if not environment:
        return None
    accelerator = mapping(environment.get("accelerator"))
    return {
        "fingerprint": text(environment, "fingerprint"),
        "python": text(environment, "pythonVersion"),
        "os": text(environment, "os"),
        "architecture": text(environment, "architecture"),
        "provider_version": text(environment, "providerVersion"),
        "libraries": {
            str(name): value
            for name, value in mapping(environment.get("libraries")).items()
            if isinstance(value, str)
        },
        "accelerator": (
            {
                "name": text(accelerator, "deviceName"),
                "count": integer(accelerator, "deviceCount"),
                "driver": text(accelerator, "driverVersion"),
                "cuda": text(accelerator, "cudaVersion"),
            }
            if accelerator
            else None
        ),
    }
