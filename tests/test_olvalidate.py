"""The validator is strict: what a jsonb-backed OpenLineage backend would refuse fails here first."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import documentation_job
from openlineage.client.serde import Serde

from olvalidate import (
    MAX_EVENT_BYTES,
    EventValidationError,
    parse_event_text,
    read_events,
    strict_problems,
    validate_event,
    validate_event_text,
)

DESCRIPTION = "Line one\n\tindented line two"
DESCRIPTION_PATH = "job/facets/documentation/description"


def _event(description: str = DESCRIPTION) -> dict[str, Any]:
    """A minimal RunEvent with one job facet, as the file transport would serialize it."""
    event = RunEvent(
        eventType=RunState.COMPLETE,
        eventTime="2026-01-01T00:00:00Z",
        run=Run(runId=str(uuid.uuid4())),
        job=Job(
            namespace="test",
            name="job",
            facets={"documentation": documentation_job.DocumentationJobFacet(description)},
        ),
        producer="https://example.com/test",
    )
    return json.loads(Serde.to_json(event))


def _text_with(literal: str) -> str:
    """The event's JSON text with the description's value replaced by ``literal`` verbatim."""
    marker = "__VALUE__"
    text = json.dumps(_event(marker))
    assert text.count(f'"{marker}"') == 1
    return text.replace(f'"{marker}"', literal)


# --- valid events ------------------------------------------------------------------------


def test_tab_and_newline_are_ordinary_text() -> None:
    event = _event()

    validate_event(event)
    assert validate_event_text(json.dumps(event)) == event
    assert event["job"]["facets"]["documentation"]["description"] == DESCRIPTION


def test_printable_unicode_next_to_the_control_ranges_passes() -> None:
    # U+00A0 follows the C1 block, U+2028 splits lines for str.splitlines but is no control.
    event = _event("caf\u00e9\u00a0\u00ff \u65e5\u672c \u2028 ~")

    validate_event(event)
    assert validate_event_text(json.dumps(event, ensure_ascii=False)) == event


# --- NaN and Infinity --------------------------------------------------------------------


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_finite_literals_in_text_are_rejected(literal: str) -> None:
    text = _text_with(literal)
    assert json.loads(text)  # Python's own parser takes it: this is what we guard against

    with pytest.raises(EventValidationError, match=f"{DESCRIPTION_PATH}: {literal} is not JSON"):
        parse_event_text(text)


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_in_a_dict_are_rejected(number: float) -> None:
    event = _event()
    event["job"]["facets"]["documentation"]["description"] = number
    event["inputs"] = [{"namespace": "file", "name": "/d", "facets": {"x": {"v": [1.0, number]}}}]

    with pytest.raises(EventValidationError) as raised:
        validate_event(event)

    message = str(raised.value)
    assert f"{DESCRIPTION_PATH}: non-finite number {number!r}" in message
    assert f"inputs/0/facets/x/v/1: non-finite number {number!r}" in message


# --- control characters ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "code"),
    [
        ("\x00", "U+0000"),
        ("\r", "U+000D"),
        ("\x1b", "U+001B"),
        ("\x0b", "U+000B"),
        ("\x7f", "U+007F"),
        ("\x85", "U+0085"),
        ("\x9f", "U+009F"),
    ],
)
def test_control_characters_in_values_are_rejected(char: str, code: str) -> None:
    event = _event(f"abc{char}def")
    expected = re.escape(f"{DESCRIPTION_PATH}: string has a control character {code} at index 3")

    with pytest.raises(EventValidationError, match=expected):
        validate_event(event)
    for text in (json.dumps(event), json.dumps(event, ensure_ascii=False)):
        with pytest.raises(EventValidationError, match=expected):
            parse_event_text(text)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x85"])
def test_control_characters_in_keys_are_rejected(char: str) -> None:
    event = _event()
    event["inputs"] = [{"namespace": "file", "name": "/d", "facets": {"x": {f"ti{char}tle": "t"}}}]
    expected = "inputs/0/facets/x: key has a control character"

    with pytest.raises(EventValidationError, match=expected):
        validate_event(event)
    with pytest.raises(EventValidationError, match=expected):
        parse_event_text(json.dumps(event))


def test_nested_list_positions_are_named() -> None:
    event = _event()
    event["outputs"] = [{"namespace": "file", "name": "/d", "facets": {"x": {"l": ["ok", "\x00"]}}}]

    assert strict_problems(event) == [
        "outputs/0/facets/x/l/1: string has a control character U+0000 at index 0 (near '\\x00')"
    ]


def test_raw_control_character_in_text_is_not_json() -> None:
    text = _text_with('"a\x01b"')

    with pytest.raises(EventValidationError, match="not JSON: Invalid control character"):
        parse_event_text(text)


# --- size --------------------------------------------------------------------------------


def _padded_text(size: int) -> str:
    """Event text of exactly ``size`` UTF-8 bytes, padded in the description."""
    bare = len(_text_with('""').encode())
    text = _text_with(json.dumps("x" * (size - bare)))
    assert len(text.encode()) == size
    return text


def test_size_limit_on_text_is_exclusive() -> None:
    assert parse_event_text(_padded_text(MAX_EVENT_BYTES - 1))

    with pytest.raises(EventValidationError, match=f"event is {MAX_EVENT_BYTES} bytes"):
        parse_event_text(_padded_text(MAX_EVENT_BYTES))


def test_size_counts_utf8_bytes_not_characters() -> None:
    text = _text_with(json.dumps("\u00e9" * (MAX_EVENT_BYTES // 2), ensure_ascii=False))
    assert len(text) < MAX_EVENT_BYTES <= len(text.encode())

    with pytest.raises(EventValidationError, match="must stay under 262144"):
        parse_event_text(text)


def test_oversized_dict_is_rejected() -> None:
    event = _event("x" * MAX_EVENT_BYTES)

    with pytest.raises(EventValidationError, match=r"<root>: event is 26[0-9]{4} bytes"):
        validate_event(event)


# --- reading the file transport's output -------------------------------------------------


def test_read_events_names_the_bad_line(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    good = json.dumps(_event())
    events_file.write_text(f"{good}\n\n{_text_with('NaN')}\n")

    with pytest.raises(EventValidationError, match=r"events\.jsonl line 3:\n.*NaN is not JSON"):
        read_events(events_file)


def test_read_events_keeps_a_c1_character_inside_its_line(tmp_path: Path) -> None:
    """``str.splitlines`` would cut the line at U+0085 and hide the real problem."""
    events_file = tmp_path / "events.jsonl"
    events_file.write_text(json.dumps(_event("a\x85b"), ensure_ascii=False) + "\n")

    with pytest.raises(EventValidationError, match=f"{DESCRIPTION_PATH}: string has a control"):
        read_events(events_file)


def test_read_events_returns_valid_events(tmp_path: Path) -> None:
    events_file = tmp_path / "events.jsonl"
    first, second = _event(), _event("second")
    events_file.write_text(f"{json.dumps(first)}\n{json.dumps(second)}\n")

    assert read_events(events_file) == [first, second]
    assert read_events(tmp_path / "missing.jsonl") == []


def test_non_object_text_is_rejected() -> None:
    with pytest.raises(EventValidationError, match="an event is a JSON object, not list"):
        parse_event_text("[1, 2]")


def test_schema_problems_are_still_reported_beside_strict_ones() -> None:
    event = _event("\x00")
    event.pop("eventTime")

    with pytest.raises(EventValidationError) as raised:
        validate_event(event)

    assert "eventTime" in str(raised.value)
    assert "U+0000" in str(raised.value)
