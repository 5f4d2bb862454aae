"""Where our custom facets' JSON Schemas live: a versioned URL, and the same file in the package.

Every custom facet's ``_schemaURL`` is ``{SCHEMA_BASE_URL}/{version}/{Class}.json#/$defs/{Class}``;
the schema file with that ``$id`` ships under ``llm_lineage/facets/schemas/{version}/`` so that
validators (our tests, a catalog's CI) resolve it without a network.
"""

from __future__ import annotations

import json
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from typing import Any

SCHEMA_BASE_URL = "https://llm-lineage.github.io/spec/facets"
FACET_PREFIX = "llmLineage"
DISTRIBUTION = "airflow-provider-llm-lineage"
PRODUCER_BASE_URL = "https://github.com/llm-lineage/airflow-provider-llm-lineage/tree"


def _distribution_version() -> str:
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:  # a source tree that was never installed
        return "unknown"


#: The ``_producer`` of every facet of ours: this package at its installed version, while the
#: events themselves keep the OpenLineage provider's ``producer``.
PRODUCER = f"{PRODUCER_BASE_URL}/{_distribution_version()}"


class ProducedHere:
    """Mixin (before the openlineage-python base) that gives a facet our ``_producer``."""

    __slots__ = ()
    _producer: str

    def __attrs_post_init__(self) -> None:
        if not self._producer:
            self._producer = PRODUCER  # type: ignore[misc]  # an attrs slot of the facet
        super().__attrs_post_init__()  # type: ignore[misc]


def schema_url(class_name: str, version: str) -> str:
    """The ``_schemaURL`` of a custom facet class at a schema version such as ``1-0-0``."""
    return f"{SCHEMA_BASE_URL}/{version}/{class_name}.json#/$defs/{class_name}"


def facet_key(name: str) -> str:
    """Facet keys follow OpenLineage's ``{prefix}_{name}`` rule for custom facets."""
    return f"{FACET_PREFIX}_{name}"


@cache
def packaged_schemas() -> dict[str, dict[str, Any]]:
    """All JSON Schemas shipped in the package, keyed by their ``$id``."""
    root = files("llm_lineage.facets") / "schemas"
    schemas: dict[str, dict[str, Any]] = {}
    for version_dir in root.iterdir():
        if not version_dir.is_dir():
            continue
        for entry in version_dir.iterdir():
            if entry.name.endswith(".json"):
                schema = json.loads(entry.read_text(encoding="utf-8"))
                schemas[schema["$id"]] = schema
    return schemas
