"""The fault test of the spool: 8 writer processes x 200 events against a flaky backend.

Eight processes emit 100 runs each (START then COMPLETE) into one spool with background
forwarders, as eight tasks on one worker would, while the Marquez-like backend on 127.0.0.1
answers 503 to a random quarter of the requests (and, in the second case, 422 to 2% more).
Every event must end up either stored once or in ``dead-letter/`` with its 422, none lost and
none left waiting, each run's START stored before its COMPLETE, within ``DRAIN_BOUND_SECONDS``
of the last writer finishing. The figures printed at the end are those quoted in docs/delivery.md.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import stat
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from lineage_servers import FakeMarquez
from llm_lineage.transports.spool_usage import folder_bytes
from spool_fixtures import make_event, spool_transport

WRITERS = 8
RUNS_PER_WRITER = 100  # 200 events each

#: The stated bound: the backlog is delivered this long after the last writer finished. A
#: healthy backend takes these 1,600 events in about 16 s here, a 25% flaky one in about
#: 16 / 0.75 s plus pauses; the bound leaves room for a busy 2-core CI machine.
DRAIN_BOUND_SECONDS = 150.0


def run_id(worker: int, number: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spool-faults/{worker}/{number}"))


def _writer(directory: str, url: str, worker: int) -> None:
    transport = spool_transport(Path(directory), url, background=True)
    for number in range(RUNS_PER_WRITER):
        identity = run_id(worker, number)
        transport.emit(make_event(f"w{worker}n{number}", "START", identity))
        transport.emit(make_event(f"w{worker}n{number}", "COMPLETE", identity))


def _key(event: dict[str, Any]) -> tuple[str, str]:
    return event["run"]["runId"], event["eventType"]


def _settled(backend: FakeMarquez, spool: Path) -> tuple[list[dict[str, Any]], list[Any]]:
    stored = backend.stored()
    dead = [json.loads(p.read_text()) for p in (spool / "dead-letter").glob("*.json")]
    return stored, dead


@pytest.mark.parametrize("refuse_ratio", [0.0, 0.02], ids=["503-25pct", "503-25pct-422-2pct"])
def test_eight_writers_behind_a_flaky_backend_lose_nothing(
    tmp_path: Path, backend: FakeMarquez, refuse_ratio: float
) -> None:
    backend.faults.fail_ratio = 0.25
    backend.faults.refuse_ratio = refuse_ratio
    backend.start()
    spool = tmp_path / "spool"
    everything = {
        (run_id(w, n), kind)
        for w in range(WRITERS)
        for n in range(RUNS_PER_WRITER)
        for kind in ("START", "COMPLETE")
    }
    context = multiprocessing.get_context("spawn")
    writers = [
        context.Process(target=_writer, args=(str(spool), backend.url, w)) for w in range(WRITERS)
    ]
    started = time.monotonic()
    for process in writers:
        process.start()
    for process in writers:
        process.join(300)
        assert process.exitcode == 0
    written = time.monotonic()
    while time.monotonic() - written < DRAIN_BOUND_SECONDS:
        stored, dead = _settled(backend, spool)
        if len({_key(e) for e in stored}) + len(dead) >= len(everything):
            break
        time.sleep(0.5)
    drained = time.monotonic()
    stored, dead = _settled(backend, spool)
    # What was measured, for docs/delivery.md.
    print(
        f"\nwriters done in {written - started:.1f} s; drained {drained - written:.1f} s later; "
        f"{len(backend.received)} requests for {len(everything)} events, "
        f"{backend.answers.count(503)} x 503, {backend.answers.count(422)} x 422; "
        f"{len(dead)} in dead-letter/"
    )
    assert drained - written < DRAIN_BOUND_SECONDS

    # None lost: each event stored once or dead-lettered, never both, nothing left waiting.
    stored_keys = [_key(e) for e in stored]
    assert len(stored_keys) == len(set(stored_keys))
    dead_keys = {_key(e) for e in dead}
    assert set(stored_keys) | dead_keys == everything
    assert not set(stored_keys) & dead_keys
    assert len(dead) == backend.answers.count(422)
    for note in (spool / "dead-letter").glob("*.response"):
        assert note.read_text().startswith("status: 422")
    assert list((spool / "pending").iterdir()) == []
    assert list((spool / "tmp").iterdir()) == []

    # Each run's START reached the backend before its COMPLETE (or was refused with a 422).
    position = {key: index for index, key in enumerate(stored_keys)}
    for identity, _ in everything:
        if (identity, "COMPLETE") in position and (identity, "START") not in dead_keys:
            assert position[(identity, "START")] < position[(identity, "COMPLETE")]

    # The size counter that eight writers and the forwarders kept is the disk usage, exactly
    # (read once the last background forwarder has let go of the spool).
    with spool_transport(spool, backend.url).spool.forwarding(30) as held:
        assert held
        recorded = int((spool / "usage").read_text().split()[0])
        assert recorded == folder_bytes(spool / "pending") + folder_bytes(spool / "dead-letter")
    for path in [spool, *spool.rglob("*")]:
        mode = stat.S_IMODE(os.lstat(path).st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (path, oct(mode))
