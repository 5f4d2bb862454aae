"""Facets as DataHub custom properties: every fact kept, as flat ``key: string`` pairs.

DataHub shows ``customProperties`` on datasets, models and runs as a table of strings. A facet
becomes one entry per leaf: nested objects join their keys with ``.``, lists of scalars become
``a, b, c``, lists of objects compact JSON (one value, still searchable). The OpenLineage
bookkeeping fields (``_producer``, ``_schemaURL``, ``_deleted``) are dropped. Custom facets
lose their ``llmLineage_`` prefix (``documentCollection.documentCount``), standard ones keep
their name, except the few whose one field names itself (``version.datasetVersion`` →
``datasetVersion``). Values are capped at ``MAX_VALUE_CHARS``; the event was already bounded.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

from llm_lineage.transports.datahub.event import CUSTOM_PREFIX

MAX_VALUE_CHARS = 16_000
_BOOKKEEPING = frozenset({"_producer", "_schemaURL", "_deleted"})
#: Facets whose fields are meaningful without the facet's name in front.
_UNPREFIXED = frozenset({"version", "storage", "datasetType", "lifecycleStateChange"})


def text(value: Any) -> str:
    """A property value: JSON for numbers and booleans, strings as they are, capped."""
    if isinstance(value, str):
        result = value
    elif isinstance(value, float) and not math.isfinite(value):
        result = str(value)
    else:
        result = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    if len(result) > MAX_VALUE_CHARS:
        return result[: MAX_VALUE_CHARS - 1] + "…"
    return result


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, (str, int, float, bool))


def flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    """Add ``value`` under ``prefix`` to ``out``: one entry per leaf."""
    if isinstance(value, dict):
        for key in sorted(value):
            if key in _BOOKKEEPING:
                continue
            flatten(value[key], f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and all(_is_scalar(item) for item in value):
        out[prefix] = text(", ".join("" if item is None else text(item) for item in value))
    elif value is not None:
        out[prefix] = text(value)


def facet_prefix(name: str) -> str:
    if name.startswith(CUSTOM_PREFIX):
        return name[len(CUSTOM_PREFIX) :]
    return "" if name in _UNPREFIXED else name


def facet_properties(facets: dict[str, Any], skip: Iterable[str] = ()) -> dict[str, str]:
    """Every facet in ``facets`` but those in ``skip``, flattened."""
    skipped = set(skip)
    out: dict[str, str] = {}
    for name in sorted(facets):
        if name not in skipped and isinstance(facets[name], dict):
            flatten(facets[name], facet_prefix(name), out)
    return out


def snake(name: str) -> str:
    """``learningRate`` → ``learning_rate`` (hyperparameter and metric names)."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
