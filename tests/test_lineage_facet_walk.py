"""The bounding hints the facet classes declare, as the event bounds read them."""

from __future__ import annotations

import inspect
from typing import Any, ClassVar

import attr
import pytest
from openlineage.client.generated.base import RunFacet
from openlineage.client.generated.documentation_job import DocumentationJobFacet

import llm_lineage.facets as facets_package
from llm_lineage.lineage.bounds import bounded
from llm_lineage.lineage.facet_walk import multiline_fields, sample_fields
from llm_lineage.lineage.standard_facets import StepLineage


def _facet_classes() -> list[type]:
    found: set[type] = set()
    for module in vars(facets_package).values():
        if inspect.ismodule(module) and module.__name__.startswith("llm_lineage.facets."):
            found.update(
                c
                for c in vars(module).values()
                if inspect.isclass(c) and attr.has(c) and c.__module__ == module.__name__
            )
    return sorted(found, key=lambda c: c.__qualname__)


@pytest.mark.parametrize("cls", _facet_classes(), ids=lambda c: c.__qualname__)
def test_declared_hints_name_fields_of_their_class(cls: type) -> None:
    names = {field.name for field in attr.fields(cls)}
    assert multiline_fields(cls) <= names
    assert sample_fields(cls) <= names


def test_the_hints_are_declared_where_the_long_text_and_the_samples_are() -> None:
    declared = {
        c.__qualname__: (sorted(multiline_fields(c)), sorted(sample_fields(c)))
        for c in _facet_classes()
        if multiline_fields(c) or sample_fields(c)
    }
    assert declared == {
        "LlmLineageDocumentCollectionDatasetFacet": ([], ["sample"]),
        "TransformCount": (["parameters"], []),
        "TransformationStep": (["description", "parameters"], []),
    }
    assert multiline_fields(DocumentationJobFacet) >= {"description"}  # openlineage's own


@attr.define
class _Notes(RunFacet):
    _multiline_fields: ClassVar[frozenset[str]] = frozenset({"notes"})
    _sample_fields: ClassVar[frozenset[str]] = frozenset({"examples"})

    title: str
    notes: dict[str, Any]
    examples: list[str]
    sample: list[str]


def test_the_bounds_read_the_hints_off_the_class() -> None:
    """Tabs and newlines stay only under a declared multi-line field, nested values included;
    a declared sample is dropped first, a field merely named ``sample`` is not."""
    facet = _Notes(
        title="a\nb",
        notes={"steps": ["one\ttwo\r\nthree"]},
        examples=["x" * 4000] * 100,  # 400 KB: over the budget
        sample=["y" * 1000],
    )
    result = bounded(StepLineage(run_facets={"notes": facet}))
    kept = result.run_facets["notes"]
    assert kept.title == "a\\x0ab"
    assert kept.notes == {"steps": ["one\ttwo\nthree"]}
    assert kept.examples == []
    assert kept.sample == ["y" * 1000]
