"""The test Marquez serves the shapes of Marquez's OpenAPI spec, and the report reads it.

Every list the report asks for is validated against the spec's schemas (``tests/marquez_spec``).
Marquez writes absent values as null where the spec declares a plain type, so nulls are dropped
before validating, as the spec's own examples omit them. The spec types the facets of a run's
input and output versions as strings, but Marquez's ``InputDatasetVersion`` holds them as
objects (``ImmutableMap<String, Object>``), as it sends them; the check uses objects there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from marquez_api import Catalog, MarquezApi
from test_report_inputs import cli, ds, event, write

SPEC = Path(__file__).parent / "marquez_spec" / "openapi.yml"


def validator(schema: str) -> Draft202012Validator:
    spec = yaml.safe_load(SPEC.read_text())
    for name in ("InputDatasetVersion", "OutputDatasetVersion"):
        spec["components"]["schemas"][name]["properties"]["facets"]["additionalProperties"] = {
            "type": "object"
        }
    registry = Registry().with_resource(
        "urn:marquez", Resource.from_contents(spec, default_specification=DRAFT202012)
    )
    return Draft202012Validator(
        {"$ref": f"urn:marquez#/components/schemas/{schema}"}, registry=registry
    )


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


EVENTS = [
    event("extract", 0, [ds("/c", "v0")], [ds("/t", "v1", 10)], kind="START", run="r1"),
    event("extract", 0.1, [ds("/c", "v0")], [ds("/t", "v1", 10)], run="r1"),
    event("train", 2, [ds("/t", "v1")], [ds("/a/b c%", "v3", 4)], run="r3"),
]


def test_every_answer_the_report_reads_matches_the_spec(tmp_path: Path) -> None:
    api = MarquezApi(Catalog.from_events(EVENTS), max_page=2).start()
    try:
        status, text = cli("usage", "--json", "--marquez", api.url, "--now", "2025-01-05T00:00:00Z")
    finally:
        api.stop()
    assert status == 0
    assert [row["name"] for row in json.loads(text)["usage"]["datasets"]] == ["/a/b c%", "/c", "/t"]
    schemas = {"namespaces": "NamespaceList", "jobs": "JobList", "runs": "RunList"}
    schemas |= {"datasets": "DatasetList", "versions": "DatasetVersionList"}
    checked = set()
    for path in dict.fromkeys(api.requests):
        schema = schemas[path.rsplit("/", 1)[-1]]
        _, body = api.answer(path, {})
        errors = list(validator(schema).iter_errors(without_nulls(body)))
        assert not errors, (path, [e.message for e in errors])
        checked.add(schema)
    assert checked == set(schemas.values())
    assert f"/api/v1/namespaces/file/datasets/{quote('/a/b c%', safe='')}/versions" in api.requests


def test_the_validation_can_fail() -> None:
    api = MarquezApi(Catalog.from_events(EVENTS))
    _, body = api.answer("/api/v1/namespaces/ns/jobs", {})
    body["jobs"][0]["inputs"] = "not a list"
    assert list(validator("JobList").iter_errors(without_nulls(body)))


def test_unknown_paths_are_404_and_unknown_namespaces_empty() -> None:
    api = MarquezApi(Catalog.from_events(EVENTS))
    assert api.answer("/api/v1/lineage", {})[0] == 404
    assert api.answer("/api/v1/namespaces/nope/jobs/x/runs", {}) == (
        200,
        {"runs": [], "totalCount": 0},
    )


def test_a_failing_marquez_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    api = MarquezApi(Catalog.from_events(EVENTS)).start()
    api.answer = lambda path, query: (500, {"message": "down"})  # type: ignore[method-assign]
    try:
        status, _ = cli("cost", "--marquez", api.url)
    finally:
        api.stop()
    assert status == 2
    assert "HTTP 500" in capsys.readouterr().err
    assert write(tmp_path / "unused.jsonl", EVENTS).exists()
