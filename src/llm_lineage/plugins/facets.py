"""Reading a stored lineage document defensively: any task may push any value under its key.

The document's keys follow ``lineage/document.py`` and the facet classes, but the page must not
trust its shapes: a wrong type reads as missing, never as an error page.
"""

from __future__ import annotations

import math
from typing import Any

from llm_lineage.facets import facet_key

COLLECTION = facet_key("documentCollection")
TRANSFORMATIONS = facet_key("transformations")
TOKENIZATION = facet_key("tokenization")
EMBEDDING = facet_key("embedding")
CURATION = facet_key("curation")
ADAPTER = facet_key("loraAdapter")
TRAINING = facet_key("training")
RESOURCES = facet_key("resourceUsage")
BOUNDS = facet_key("eventBounds")
ENVIRONMENT = facet_key("environment")
SOURCE_CODE = "sourceCodeLocation"
EXTRACTION_ERROR = "extractionError"

#: Labels of what a dataset is, most specific first, by the facet that says so.
_KINDS = (
    (COLLECTION, "documents"),
    (ADAPTER, "adapter"),
    (TOKENIZATION, "tokens"),
    (EMBEDDING, "embeddings"),
    (CURATION, "curated text"),
    (TRANSFORMATIONS, "text"),
)


def mapping(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one."""
    return value if isinstance(value, dict) else {}


def records(value: Any) -> list[dict[str, Any]]:
    """The JSON objects in ``value`` if it is a list, else none."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def finite(value: Any) -> float | None:
    """A number as a finite float, or None: not a number, NaN, an infinity, or an integer too
    large for a float (JSON allows 10**400; a stored document may hold anything)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        as_float = float(value)
    except OverflowError:
        return None
    return as_float if math.isfinite(as_float) else None


def text(value: Any) -> str | None:
    """``value`` as a string, None when missing; a number or a list is shown as it is."""
    return None if value is None else str(value)


def datasets(document: dict[str, Any], side: str) -> list[dict[str, Any]]:
    """The ``inputs`` or ``outputs`` of a document."""
    return records(document.get(side))


def facets(entity: dict[str, Any]) -> dict[str, Any]:
    """The ``facets`` of a dataset, run or job."""
    return mapping(entity.get("facets"))


def facet(entity: dict[str, Any], key: str) -> dict[str, Any] | None:
    found = facets(entity).get(key)
    return found if isinstance(found, dict) else None


def run_facet(document: dict[str, Any], key: str) -> dict[str, Any] | None:
    return facet(mapping(document.get("run")), key)


def version(dataset: dict[str, Any]) -> str | None:
    return text(mapping(facets(dataset).get("version")).get("datasetVersion"))


def kind(dataset: dict[str, Any]) -> str | None:
    """What the dataset is in the chain (documents, text, tokens, adapter, model), if known."""
    present = facets(dataset)
    for key, label in _KINDS:
        if isinstance(present.get(key), dict):
            return label
    dataset_type = text(mapping(present.get("datasetType")).get("datasetType"))
    return dataset_type.lower() if dataset_type else None


def statistics(dataset: dict[str, Any]) -> dict[str, Any]:
    """Rows, size and files as the step read or wrote them."""
    for side, key in (("outputFacets", "outputStatistics"), ("inputFacets", "inputStatistics")):
        found = mapping(mapping(dataset.get(side)).get(key))
        if found:
            return found
    return {}


def provenance(document: dict[str, Any]) -> list[dict[str, Any]]:
    """What the inputs' footers said of the documents behind them (``lineage/chain.py``).

    Only entries with a documents summary; ``formats`` and ``authors`` come as ``[name, count]``
    pairs and are turned into records so the page needs no shape knowledge.
    """
    found = []
    for item in records(document.get("provenance")):
        documents = mapping(item.get("documents"))
        if not documents:
            continue
        found.append(
            {
                "documents": documents,
                "formats": ", ".join(
                    f"{pair['name']} ({pair['count']})" for pair in _pairs(documents.get("formats"))
                ),
                "authors": _pairs(documents.get("authors")),
                "created": _span(documents.get("created")),
                "text": mapping(item.get("text")),
                "tokenizer": mapping(item.get("tokenizer")),
            }
        )
    return found


def _pairs(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        return []
    pairs = [item for item in value if isinstance(item, list) and len(item) == 2]
    return [{"name": str(name), "count": count} for name, count in pairs]


def _span(value: Any) -> str | None:
    if isinstance(value, list) and len(value) == 2:
        return f"{value[0]} to {value[1]}"
    return None


def code_and_environment(document: dict[str, Any]) -> dict[str, Any] | None:
    """The code (the job's ``sourceCodeLocation``, its dirty flag) and the environment (the
    ``llmLineage_environment`` run facet) of a document, as strings; None when it has neither."""
    environment = run_facet(document, ENVIRONMENT) or {}
    code = facet(mapping(document.get("job")), SOURCE_CODE) or {}
    if not environment and not code:
        return None
    state = mapping(environment.get("sourceCode"))
    accelerator = mapping(environment.get("accelerator"))
    libraries = mapping(environment.get("libraries"))
    return {
        "repository": text(code.get("repoUrl")),
        "url": _web_link(code.get("url")),
        "path": text(code.get("path")),
        "commit": text(code.get("version")),
        "branch": text(code.get("branch")),
        "tag": text(code.get("tag")),
        "dirty": state.get("dirty") is True,
        "origin": text(state.get("origin")),
        "fingerprint": text(environment.get("fingerprint")),
        "python": text(environment.get("pythonVersion")),
        "platform": " ".join(
            str(environment[key])
            for key in ("os", "osRelease", "architecture")
            if environment.get(key)
        ),
        "provider": text(environment.get("providerVersion")),
        "accelerator": (
            f"{accelerator.get('deviceCount')} x {accelerator.get('deviceName')} (driver "
            f"{accelerator.get('driverVersion')}, CUDA {accelerator.get('cudaVersion')})"
            if accelerator
            else None
        ),
        "libraries": ", ".join(f"{name} {value}" for name, value in sorted(libraries.items())),
    }


def _web_link(value: Any) -> str | None:
    """An http(s) URL to link to; anything else (``javascript:``, ``file:``) is not linked."""
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None
