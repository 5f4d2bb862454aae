"""The spool transport against a real HTTP backend on 127.0.0.1: nothing lost, nothing doubled.

Events here are built with openlineage-python's own classes; the DAG tests
(``test_spool_dag.py``) do the same with the events of real task runs, and the ``replay`` and
``spool status`` commands are tested in ``test_cli_spool.py``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import OpenLineageClient, event_v2
from openlineage.client.serde import Serde
from openlineage.client.transport.http import HttpTransport

from lineage_servers import FakeMarquez
from llm_lineage.common.errors import ConfigError, LlmLineageError
from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.forwarder import forward
from llm_lineage.transports.spool import SpoolConfig, SpoolTransport, inner_transport
from llm_lineage.transports.spool_store import Spool
from olvalidate import validate_event
from spool_fixtures import SPOOL_TYPE, make_event, run_pairs, spool_transport


def assert_each_run_ordered(stored: list[dict[str, Any]]) -> None:
    seen: dict[str, list[str]] = {}
    for event in stored:
        seen.setdefault(event["run"]["runId"], []).append(event["eventType"])
    for run_id, types in seen.items():
        assert types[0] == "START", (run_id, types)


def expected(events: list[event_v2.RunEvent]) -> list[dict[str, Any]]:
    return [json.loads(Serde.to_json(e)) for e in events]


def test_emit_writes_one_durable_file_and_never_waits_for_a_dead_or_slow_backend(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    dead = spool_transport(tmp_path / "dead", backend.url)
    backend.faults.delay_seconds = 30
    slow = spool_transport(tmp_path / "slow", FakeMarquez().start().url)
    for transport in (dead, slow):
        event = make_event("extract", "START")
        started = time.monotonic()
        transport.emit(event)
        assert time.monotonic() - started < 2.0
        [path] = transport.spool.waiting()
        assert path.read_text() == Serde.to_json(event)
        validate_event(json.loads(path.read_text()))
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert list((transport.spool.directory / "tmp").iterdir()) == []


def test_backend_down_then_up_replay_delivers_everything_once_in_order(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    transport = spool_transport(tmp_path / "spool", backend.url)
    events = run_pairs(3)
    for event in events:
        transport.emit(event)
    down = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert down is not None and (down.delivered, down.pending) == (0, 6)
    assert "ConnectionError" in (down.last_error or "")

    backend.start()
    result = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (6, 0)
    assert backend.stored() == expected(events)
    again = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert again is not None and again.delivered == 0
    assert len(backend.received) == 6


def test_server_errors_keep_events_and_a_run_start_stays_ahead_of_its_complete(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    backend.start()
    backend.faults.failures_left = 3
    transport = spool_transport(tmp_path / "spool", backend.url)
    events = run_pairs(2)
    for event in events:
        transport.emit(event)
    result = forward(transport.spool, transport.inner, window_seconds=30, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (4, 0)
    assert backend.answers == [500, 500, 500, 201, 201, 201, 201]
    assert backend.stored() == expected(events)
    assert_each_run_ordered(backend.stored())


def test_a_backend_slower_than_the_timeout_gets_each_event_at_most_twice(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    """The first request times out (it did arrive); the retry waits twice as long and succeeds."""
    backend.start()
    backend.faults.delay_seconds = 0.8
    transport = spool_transport(tmp_path / "spool", backend.url, timeout=0.5)
    events = run_pairs(2)
    for event in events:
        transport.emit(event)
    result = forward(transport.spool, transport.inner, window_seconds=60, lock_wait=0)
    assert result is not None and (result.delivered, result.pending) == (4, 0)
    arrivals = [json.dumps(e, sort_keys=True) for e in backend.received]
    for event in expected(events):
        assert 1 <= arrivals.count(json.dumps(event, sort_keys=True)) <= 2
    # Deduplicated, the backend saw every event, each run's START first.
    first_arrivals = [json.loads(e) for e in dict.fromkeys(arrivals)]
    assert sorted(map(json.dumps, first_arrivals)) == sorted(map(json.dumps, expected(events)))
    assert_each_run_ordered(first_arrivals)


def test_refused_events_go_to_dead_letter_with_the_answer_and_are_not_retried(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    backend.start()
    backend.faults.refuse_jobs = ("bad0",)
    transport = spool_transport(tmp_path / "spool", backend.url)
    events = [*run_pairs(1, "bad"), *run_pairs(1, "good")]
    for event in events:
        transport.emit(event)
    result = forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert result is not None and (result.delivered, result.dead_letter, result.pending) == (
        2,
        2,
        0,
    )
    assert backend.stored() == expected(events[2:])
    dead = sorted((transport.spool.directory / "dead-letter").glob("*.json"))
    assert [json.loads(p.read_text()) for p in dead] == expected(events[:2])
    response = dead[0].with_suffix(".response").read_text()
    assert response.startswith("status: 422") and "refused" in response
    forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    assert backend.answers.count(422) == 2


def test_the_size_cap_warns_early_and_then_counts_what_it_drops(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The cap counts disk blocks: an event of some 600 bytes takes a whole block (4 KiB)."""
    probe = spool_transport(tmp_path / "probe", "http://127.0.0.1:9")
    probe.emit(make_event("t", "START"))
    [written] = probe.spool.waiting()
    size = written.stat().st_blocks * 512
    assert size > written.stat().st_size
    transport = spool_transport(tmp_path / "spool", "http://127.0.0.1:9", max_bytes=size * 5)
    with caplog.at_level(logging.WARNING, logger="llm_lineage.transports.spool"):
        for _ in range(7):
            transport.emit(make_event("t", "START"))
    assert len(transport.spool.waiting()) == 5
    warnings = [r for r in caplog.records if "% full" in r.getMessage()]
    assert len(warnings) == 2  # at 4 and 5 of 5
    lost = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(lost) == 2 and all(
        "Lineage is being lost: spool full" in r.getMessage() for r in lost
    )
    lines = (tmp_path / "spool" / "lost.log").read_text().splitlines()
    assert len(lines) == 2 and all("START of spool-test/dag.t" in line for line in lines)
    assert transport.spool.status().lost == 2


def test_an_unwritable_spool_says_lineage_is_being_lost_and_tries_the_backend_directly(
    tmp_path: Path, backend: FakeMarquez, caplog: pytest.LogCaptureFixture
) -> None:
    backend.start()
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    transport = spool_transport(blocker / "spool", backend.url)
    event = make_event("t", "START")
    with caplog.at_level(logging.ERROR, logger="llm_lineage.transports.spool"):
        transport.emit(event)
    [record] = caplog.records
    assert "Lineage is being lost: cannot write to the spool" in record.getMessage()
    assert backend.stored() == expected([event])

    backend.stop()
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="llm_lineage.transports.spool"):
        transport.emit(make_event("t", "COMPLETE"))
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["Lineage is being lost"] * 2
    assert "it is gone" in caplog.records[1].getMessage()


def _emit_many(directory: str, url: str, worker: int, count: int) -> None:
    transport = spool_transport(Path(directory), url, background=True)
    for number in range(count):
        run_id = str(uuid.uuid4())
        transport.emit(make_event(f"w{worker}n{number}", "START", run_id))
        transport.emit(make_event(f"w{worker}n{number}", "COMPLETE", run_id))


def test_processes_emitting_at_once_share_one_spool_safely(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    """Four processes, 160 events, background forwarders racing: each event arrives once."""
    backend.start()
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_emit_many, args=(str(tmp_path / "spool"), backend.url, w, 20))
        for w in range(4)
    ]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    stored = backend.wait_for(160)
    spool = Spool(tmp_path / "spool", 1 << 30)
    result = forward(spool, inner_transport(spool_config(tmp_path, backend.url)), 0, lock_wait=30)
    assert result is not None and result.pending == 0
    stored = backend.stored()
    assert len(stored) == 160 == len(backend.received)
    assert len({(e["run"]["runId"], e["eventType"]) for e in stored}) == 160
    assert_each_run_ordered(stored)
    assert list((tmp_path / "spool" / "tmp").iterdir()) == []


def spool_config(tmp_path: Path, url: str) -> SpoolConfig:
    return SpoolConfig.from_dict(
        {"directory": str(tmp_path / "spool"), "transport": {"type": "http", "url": url}}
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"transport": {"type": "console"}}, "'directory' is required"),
        (
            {"directory": "/tmp/s"},
            "'transport' is required: a transport configuration with a 'type'",
        ),
        ({"directory": "/tmp/s", "transport": {"url": "x"}}, "'transport' must be"),
        (
            {"directory": "/tmp/s", "transport": {"type": "console"}, "max_byte": 5},
            r"unknown key\(s\) \['max_byte'\] \(did you mean 'max_bytes'\?\); known: \['background'",
        ),
        (
            {"directory": "/tmp/s", "transport": {"type": "htp"}},
            r"'transport' has an unknown type 'htp' \(did you mean 'http'\?\); known: .*'kafka'",
        ),
        ({"directory": "/tmp/s", "transport": {"type": "console"}, "max_bytes": -1}, "'max_bytes'"),
        (
            {"directory": "/tmp/s", "transport": {"type": "console"}, "background": "yes please"},
            "'background'",
        ),
    ],
)
def test_configuration_errors_name_the_key(params: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as raised:
        SpoolConfig.from_dict(params)
    assert isinstance(raised.value, LlmLineageError) and isinstance(raised.value, ValueError)
    assert str(raised.value).startswith("SpoolTransport: ") and "\n" not in str(raised.value)


def test_a_wrong_inner_transport_fails_when_the_transport_is_created(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="url"):
        SpoolTransport(
            SpoolConfig.from_dict({"directory": str(tmp_path), "transport": {"type": "http"}})
        )


def test_selected_by_dotted_path_from_environment_variables_and_openlineage_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TYPE", SPOOL_TYPE)
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__DIRECTORY", str(tmp_path / "env-spool"))
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TRANSPORT__TYPE", "http")
    monkeypatch.setenv("OPENLINEAGE__TRANSPORT__TRANSPORT__URL", "http://127.0.0.1:9")
    client = OpenLineageClient()
    assert isinstance(client.transport, SpoolTransport)
    assert isinstance(client.transport.inner, HttpTransport)
    assert client.transport.config.directory == str(tmp_path / "env-spool")
    client.emit(make_event("t", "START"))
    assert len(client.transport.spool.waiting()) == 1

    for key in [k for k in os.environ if k.startswith("OPENLINEAGE")]:
        monkeypatch.delenv(key)
    config = tmp_path / "openlineage.yml"
    config.write_text(
        f"transport:\n  type: {SPOOL_TYPE}\n  directory: {tmp_path / 'yml-spool'}\n"
        "  transport:\n    type: console\n"
    )
    monkeypatch.setenv("OPENLINEAGE_CONFIG", str(config))
    client = OpenLineageClient()
    assert isinstance(client.transport, SpoolTransport)
    assert client.transport.config.directory == str(tmp_path / "yml-spool")


def test_rehydrated_events_serialise_to_exactly_what_was_spooled() -> None:
    event = make_event("t", "COMPLETE")
    spooled = json.loads(Serde.to_json(event))
    spooled["run"]["facets"] = {
        "custom_x": {"_producer": "p", "_schemaURL": "u", "n": [1, {"a": 2}]}
    }
    again = rehydrate(spooled)
    assert isinstance(again, event_v2.RunEvent)
    assert json.loads(Serde.to_json(again)) == spooled
    assert rehydrate({"something": "else"}) == {"something": "else"}
