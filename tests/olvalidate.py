"""Validate OpenLineage events: the envelope against the spec, every facet against its _schemaURL.

Schemas come from the spec copy in ``tests/openlineage_spec``, our packaged facet schemas, and
the Airflow OpenLineage provider's own facet schemas. A ``_schemaURL`` that none of them defines
is an error: a facet we cannot check is a facet we do not trust.

Beyond the schemas, events must survive the strictest consumer we know of, a PostgreSQL
``jsonb`` column behind an OpenLineage backend: no ``NaN``/``Infinity`` (not JSON at all, though
Python writes and reads them), no control characters in any string (``jsonb`` refuses NUL, and
the rest corrupt logs and UIs; tab and newline are ordinary text), and a size well under what
HTTP transports and backends accept (256 KB).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from llm_lineage.facets import packaged_schemas

SPEC_DIR = Path(__file__).parent / "openlineage_spec"
EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json"

#: An event this size or larger fails; backends and HTTP transports cap request bodies near it.
MAX_EVENT_BYTES = 256 * 1024

#: C0 controls except tab and newline, DEL, and the C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


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
    problems = strict_problems(event)
    problems.extend(f"event: {msg}" for msg in _errors(event, f"{EVENT_SCHEMA}#/$defs/RunEvent"))
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


class _NonFinite:
    """Stands in for a ``NaN``/``Infinity`` literal, so the problem is reported with its path."""

    def __init__(self, literal: str) -> None:
        self.literal = literal


def _where(path: tuple[str | int, ...]) -> str:
    return "/".join(map(str, path)) or "<root>"


def _control_problem(text: str) -> str | None:
    found = _CONTROL.search(text)
    if found is None:
        return None
    at = found.start()
    near = text[max(0, at - 20) : at + 20]
    return f"control character U+{ord(found.group()):04X} at index {at} (near {near!r})"


def _value_problems(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[str]:
    """Non-finite numbers and control characters anywhere in a parsed JSON value."""
    if isinstance(value, _NonFinite):
        yield f"{_where(path)}: {value.literal} is not JSON (non-finite number)"
    elif isinstance(value, float) and not math.isfinite(value):
        yield f"{_where(path)}: non-finite number {value!r} (NaN and Infinity are not JSON)"
    elif isinstance(value, str):
        if problem := _control_problem(value):
            yield f"{_where(path)}: string has a {problem}"
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and (problem := _control_problem(key)):
                yield f"{_where(path)}: key has a {problem}"
            yield from _value_problems(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _value_problems(item, (*path, index))


def _size_problem(size: int) -> list[str]:
    if size < MAX_EVENT_BYTES:
        return []
    return [f"<root>: event is {size} bytes; it must stay under {MAX_EVENT_BYTES}"]


def strict_problems(event: dict[str, Any]) -> list[str]:
    """What a strict consumer refuses in a parsed event: non-finite numbers, controls, size."""
    problems = list(_value_problems(event))
    try:
        text = json.dumps(event)
    except (TypeError, ValueError) as error:
        return [*problems, f"<root>: not serializable as JSON: {error}"]
    return [*problems, *_size_problem(len(text.encode()))]


def parse_event_text(text: str) -> dict[str, Any]:
    """One event as a transport wrote it, parsed strictly: size, JSON, strings.

    Checks the text itself, so a ``NaN`` literal or an oversized line fails before anything
    reads the event; the schemas are ``validate_event``'s job.
    """
    problems = _size_problem(len(text.encode()))
    try:
        event = json.loads(text, parse_constant=_NonFinite)
    except json.JSONDecodeError as error:
        raise EventValidationError("\n".join([*problems, f"<text>: not JSON: {error}"])) from None
    if not isinstance(event, dict):
        problems.append(f"<root>: an event is a JSON object, not {type(event).__name__}")
    else:
        problems.extend(_value_problems(event))
    if problems:
        raise EventValidationError("\n".join(problems))
    return event


def validate_event_text(text: str) -> dict[str, Any]:
    """Parse one event's text strictly and validate it; return the event."""
    event = parse_event_text(text)
    validate_event(event)
    return event


def read_events(path: Path) -> list[dict[str, Any]]:
    """Events of a file transport's output, one JSON object a line, each parsed strictly."""
    if not path.exists():
        return []
    events = []
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1):
        if not line.strip():
            continue
        try:
            events.append(parse_event_text(line))
        except EventValidationError as error:
            raise EventValidationError(f"{path} line {number}:\n{error}") from None
    return events
