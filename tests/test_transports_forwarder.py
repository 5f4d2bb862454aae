"""The forwarder against real backends on 127.0.0.1: drain rate, order per run, poison files.

Each test here failed on the forwarder that stopped a pass at the first failure, never reset its
backoff, counted its window from the start and crashed on a file that was not an event.
"""

from __future__ import annotations

import json
import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde

from lineage_servers import FakeMarquez
from llm_lineage.transports.forwarder import forward
from spool_fixtures import make_event, run_pairs, spool_transport


def keys(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(e["run"]["runId"], e["eventType"]) for e in events]


def test_a_pass_goes_on_after_one_failure_and_keeps_each_runs_start_first(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    backend.start()
    backend.faults.failures_left = 1  # the first request (run A's START) gets a 500
    transport = spool_transport(tmp_path / "spool", backend.url)
    run_a, run_b = run_pairs(1, "a"), run_pairs(1, "b")
    for event in [*run_a, *run_b]:
        transport.emit(event)
    result = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (4, 0)
    # Run B went ahead while A's START waited; A's COMPLETE was held back behind it.
    expected = [json.loads(Serde.to_json(e)) for e in [*run_b, *run_a]]
    assert keys(backend.stored()) == keys(expected)
    assert backend.answers == [500, 201, 201, 201, 201]


def test_a_flaky_backend_is_drained_at_its_success_rate(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    """A quarter of the requests fail. Backoff that never reset and a window counted from the
    start gave up here after five failures; now the window counts from the last success, and
    passes that deliver something follow each other without a pause."""
    backend.start()
    backend.faults.fail_ratio = 0.25
    transport = spool_transport(tmp_path / "spool", backend.url)
    events = run_pairs(40)
    for event in events:
        transport.emit(event)
    started = time.monotonic()
    result = forward(transport.spool, transport.inner, window_seconds=10.0, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (80, 0)
    assert time.monotonic() - started < 60
    stored = keys(backend.stored())
    assert sorted(stored) == sorted(keys([json.loads(Serde.to_json(e)) for e in events]))
    for run_id, _ in stored:
        assert stored.index((run_id, "START")) < stored.index((run_id, "COMPLETE"))


def test_a_backend_that_is_down_is_asked_once_per_pass_and_the_window_ends_it(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    backend.start()
    backend.faults.fail_until = time.monotonic() + 3600
    transport = spool_transport(tmp_path / "spool", backend.url)
    for event in run_pairs(20):
        transport.emit(event)
    started = time.monotonic()
    result = forward(transport.spool, transport.inner, window_seconds=1.2, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (0, 40)
    # First pass: 4 failures in a row end it; then one request per pass (0.5 s pause, then the
    # next pause would pass the 1.2 s window).
    assert backend.answers == [500] * 5
    assert 0.5 <= time.monotonic() - started < 10


POISON: dict[str, bytes] = {
    "null": b"null",
    "list": b"[]",
    "number": b"1e999",
    "deep": b"[" * 100_000 + b"]" * 100_000,
    "binary": b"\xff\xfe\x00garbage",
    "half": b'{"eventTime": "2026-11-28T10:00:00Z", "run": {"runId": ',
    "not an event": b'{"hello": "world"}',
}


def _spool_name(number: int) -> str:
    return f"{number:020d}-0000001-{number:06d}.json"


def test_poison_files_go_to_dead_letter_with_a_reason_and_block_nothing(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    backend.start()
    transport = spool_transport(tmp_path / "spool", backend.url)
    pending = tmp_path / "spool" / "pending"
    transport.emit(make_event("first", "START"))  # makes the folders
    for number, data in enumerate(POISON.values(), start=1):
        (pending / _spool_name(number)).write_bytes(data)
    (pending / "copied-by-hand.json").write_text(Serde.to_json(make_event("x", "START")))
    (pending / "notes.txt").write_text("a file someone left here")
    (pending / "a-folder").mkdir()
    (pending / "a-link.json").symlink_to("/etc/passwd")
    good = run_pairs(2)
    for event in good:
        transport.emit(event)

    status = transport.spool.status()  # never crashes on what it did not write
    assert (status.pending, status.foreign) == (5 + len(POISON), 4)

    result = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (5, 0)
    assert result.dead_letter == len(POISON) + 4
    assert list(pending.iterdir()) == []
    dead = tmp_path / "spool" / "dead-letter"
    reasons = {note.name: note.read_text() for note in dead.glob("*.response") if note.is_file()}
    assert len(reasons) == len(POISON) + 4
    texts = "\n".join(reasons.values())
    for reason in (
        "JSON NoneType, not an event object",
        "JSON list, not an event object",
        "out of range",
        "nested too deeply",
        "not JSON",
        "no eventTime",
        "not an event file written by the spool",
    ):
        assert reason in texts, reason
    assert Path("/etc/passwd").exists() and (dead / "a-link.json").is_symlink()
    assert transport.spool.status().dead_letter == len(POISON) + 4


class _Picky:
    """A non-HTTP transport (as Kafka or a catalog SDK would be) that cannot take one job."""

    def __init__(self) -> None:
        self.taken: list[dict[str, Any]] = []
        self.down = False

    def emit(self, event: Any) -> None:
        data = json.loads(Serde.to_json(event))
        if self.down:
            raise ConnectionRefusedError(111, "Connection refused")
        if data["job"]["name"].endswith(".bad0"):
            raise TypeError("'int' object is not iterable")
        self.taken.append(data)


def test_an_event_a_transport_refuses_the_same_way_twice_is_buried_not_retried_forever(
    tmp_path: Path,
) -> None:
    transport = spool_transport(tmp_path / "spool", "http://127.0.0.1:9")
    events = [*run_pairs(1, "bad"), *run_pairs(2, "good")]
    for event in events:
        transport.emit(event)
    picky = _Picky()
    picky.down = True
    down = forward(transport.spool, picky, window_seconds=0, lock_wait=0)
    assert down is not None and (down.delivered, down.dead_letter, down.pending) == (0, 0, 6)

    picky.down = False
    result = forward(transport.spool, picky, window_seconds=0, lock_wait=0)
    assert result is not None
    assert (result.delivered, result.dead_letter, result.pending) == (4, 2, 0)
    assert "dag.bad0" not in [e["job"]["name"] for e in picky.taken]
    notes = [n.read_text() for n in (tmp_path / "spool" / "dead-letter").glob("*.response")]
    assert len(notes) == 2
    assert all("refused twice the same way: TypeError" in note for note in notes)


def test_a_full_disk_never_crashes_the_forwarder_or_leaves_temporary_files(
    tmp_path: Path,
    backend: FakeMarquez,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    backend.start()
    backend.faults.refuse_jobs = ("bad0",)
    transport = spool_transport(tmp_path / "spool", backend.url)
    for event in [*run_pairs(1, "bad"), *run_pairs(1, "good")]:
        transport.emit(event)

    def full(descriptor: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with caplog.at_level(logging.ERROR):
        transport.emit(make_event("late", "START"))  # cannot be spooled: sent directly
        result = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    monkeypatch.undo()
    assert "Lineage is being lost: cannot write to the spool" in caplog.text
    assert "No space left on device" in caplog.text
    assert list((tmp_path / "spool" / "tmp").iterdir()) == []
    # The refused events still moved to dead-letter/ (their .response could not be written).
    assert result is not None and (result.delivered, result.dead_letter, result.pending) == (
        2,
        2,
        0,
    )
    assert len(list((tmp_path / "spool" / "dead-letter").glob("*.json"))) == 2
    assert len(backend.stored()) == 3
