"""Validate OpenLineage events: the envelope against the spec, every facet against its _schemaURL.

Schemas come from the spec copy in ``tests/openlineage_spec``, our packaged facet schemas, and
the Airflow OpenLineage provider's own facet schemas. A ``_schemaURL`` that none of them defines
is an error: a facet we cannot check is a facet we do not trust.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from llm_lineage.facets import packaged_schemas

SPEC_DIR = Path(__file__).parent / "openlineage_spec"
EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json"


def _spec_schemas() -> list[dict[str, Any]]:
    files = [SPEC_DIR / "OpenLineage.json", *sorted((SPEC_DIR / "facets").glob("*.json"))]
    return [json.loads(path.read_text()) for path in files]


def _registry() -> Registry:
    resources = [
        (schema["$id"], Resource.from_contents(schema, default_specification=DRAFT202012))
        for schema in [*_spec_schemas(), *packaged_schemas().values()]
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


class EventValidationError(AssertionError):
    pass


def _validator(ref: str) -> Draft202012Validator:
    return Draft202012Validator({"$ref": ref}, registry=REGISTRY, format_checker=FormatChecker())


def _errors(instance: Any, ref: str) -> list[str]:
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in _validator(ref).iter_errors(instance)
    ]


def iter_facets(event: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every facet of an event, with a path that says where it sits."""
    for key in ("facets",):
        for name, facet in (event.get("run", {}).get(key) or {}).items():
            yield f"run.{name}", facet
        for name, facet in (event.get("job", {}).get(key) or {}).items():
            yield f"job.{name}", facet
    for side, extra in (("inputs", "inputFacets"), ("outputs", "outputFacets")):
        for index, dataset in enumerate(event.get(side) or []):
            for group in ("facets", extra):
                for name, facet in (dataset.get(group) or {}).items():
                    yield f"{side}[{index}].{group}.{name}", facet


def _resolvable(url: str) -> bool:
    base = url.split("#", 1)[0]
    try:
        REGISTRY.get_or_retrieve(base)
    except Exception:
        return False
    return True


def validate_event(event: dict[str, Any]) -> None:
    """Raise EventValidationError listing every problem in the event."""
    problems = [f"event: {msg}" for msg in _errors(event, f"{EVENT_SCHEMA}#/$defs/RunEvent")]
    for where, facet in iter_facets(event):
        problems.extend(facet_problems(facet, where))
    if problems:
        raise EventValidationError("\n".join(problems))


def facet_problems(facet: dict[str, Any], where: str = "facet") -> list[str]:
    """What is wrong with one facet against the schema its ``_schemaURL`` names."""
    url = facet.get("_schemaURL")
    if not url:
        return [f"{where}: no _schemaURL"]
    if not _resolvable(url):
        return [f"{where}: unknown _schemaURL {url}"]
    return [f"{where}: {msg}" for msg in _errors(facet, url)]


def validate_facet(facet: dict[str, Any]) -> None:
    problems = facet_problems(facet)
    if problems:
        raise EventValidationError("\n".join(problems))


def read_events(path: Path) -> list[dict[str, Any]]:
    """Events of a file transport's output: one JSON object a line."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
