"""Reading a stored lineage document defensively: any task may push any value under its key.

The document's keys follow ``lineage/document.py``; facets are read through ``events/keys.py``,
the one reader of our events, and the page does not trust their shapes: a wrong type reads as
missing, never as an error page.
"""

from __future__ import annotations

from typing import Any

from llm_lineage.events import keys
from llm_lineage.events.kinds import kind_of
from llm_lineage.events.values import finite, mapping, records, shown

__all__ = ["finite", "mapping", "records"]

#: ``text``: the plugin's name for a value shown as text.
text = shown


def datasets(document: dict[str, Any], side: str) -> list[dict[str, Any]]:
    """The ``inputs`` or ``outputs`` of a document."""
    return records(document.get(side))


def facets(entity: dict[str, Any]) -> dict[str, Any]:
    """The ``facets`` of a dataset, run or job."""
    return mapping(entity.get("facets"))


def facet(entity: dict[str, Any], which: keys.Facet) -> dict[str, Any] | None:
    found = facets(entity).get(which.key)
    return found if isinstance(found, dict) else None


def run_facet(document: dict[str, Any], which: keys.Facet) -> dict[str, Any] | None:
    return facet(mapping(document.get("run")), which)


def version(dataset: dict[str, Any]) -> str | None:
    return text(keys.DATASET_VERSION.value(facets(dataset)))


def statistics(dataset: dict[str, Any]) -> dict[str, Any]:
    """Rows, size and files as the step read or wrote them."""
    for facet in (keys.OUTPUT_STATISTICS, keys.INPUT_STATISTICS):
        found = facet.on(dataset)
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
    environment = run_facet(document, keys.ENVIRONMENT) or {}
    code = facet(mapping(document.get("job")), keys.SOURCE_CODE) or {}
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


def kind(dataset: dict[str, Any]) -> str:
    """What the dataset is by its own facets (``events/kinds.py``); a page that knows the run's
    other documents labels it with ``dataset_kinds`` instead."""
    return kind_of(facets(dataset), text(dataset.get("name")) or "")
