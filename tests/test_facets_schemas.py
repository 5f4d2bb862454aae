"""Every facet class of ``llm_lineage.facets`` ships the schema its ``_schemaURL`` names.

The classes are found by walking the package, not listed here, so a new facet is covered the
day it is exported; a facet whose schema file is missing, misnamed or lacks its ``$defs``
entry fails here before any event carries it.
"""

from __future__ import annotations

import inspect

import pytest
from openlineage.client.generated.base import DatasetFacet, RunFacet

import llm_lineage.facets as facets
from llm_lineage.facets import packaged_schemas
from olvalidate import REGISTRY

FACET_CLASSES = sorted(
    (
        value
        for value in vars(facets).values()
        if inspect.isclass(value) and issubclass(value, DatasetFacet | RunFacet)
    ),
    key=lambda facet_class: facet_class.__name__,
)


def test_the_walk_finds_every_facet() -> None:
    assert len(FACET_CLASSES) >= 7
    assert all(cls.__name__.startswith("LlmLineage") for cls in FACET_CLASSES)


@pytest.mark.parametrize("facet_class", FACET_CLASSES, ids=lambda cls: cls.__name__)
def test_packaged_schema_ids_match_the_facets_schema_urls(facet_class: type) -> None:
    url = facet_class._get_schema()  # type: ignore[attr-defined]
    base, fragment = url.split("#")
    assert base in set(packaged_schemas())
    assert fragment == f"/$defs/{facet_class.__name__}"
    assert REGISTRY.contents(base)["$defs"][facet_class.__name__]


@pytest.mark.parametrize("facet_class", FACET_CLASSES, ids=lambda cls: cls.__name__)
def test_every_facet_names_this_package_as_its_producer(facet_class: type) -> None:
    """Our facets say who wrote them; the events keep the OpenLineage provider's producer."""
    from llm_lineage.facets.base import PRODUCER, ProducedHere

    assert issubclass(facet_class, ProducedHere)
    assert PRODUCER.startswith("https://github.com/llm-lineage/airflow-provider-llm-lineage/tree/")
