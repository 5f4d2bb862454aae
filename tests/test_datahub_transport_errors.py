"""What the DataHub transport raises: redacted, unchained, and saying whether to try again.

A GMS (or a proxy in front of it) that quotes the request's ``Authorization`` header in a 401
put the token into the SDK's exception, ``forwarder.log`` and ``llm-lineage replay``'s output;
an event the mapping cannot convert (``"inputs": 5``) was retried forever and held back every
later event of the spool. Real GMS stand-in and real metadata files on 127.0.0.1 / tmp_path.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openlineage.client.transport import get_default_factory

from conftest import TESTS
from datahub_gms import FakeGms, file_proposals
from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.forwarder import forward
from llm_lineage.transports.spool import SpoolConfig, SpoolTransport

TYPE = "llm_lineage.transports.datahub.DataHubTransport"
SPOOL_TYPE = "llm_lineage.transports.spool.SpoolTransport"
TOKEN = "tok-s3cret-0123456789"
EVENTS = [
    json.loads(line) for line in (TESTS / "datahub_pipeline_events.jsonl").read_text().splitlines()
]


def test_a_gms_that_echoes_the_token_in_a_401_never_gets_it_into_the_exception() -> None:
    with FakeGms() as gms:
        gms.unauthorized = True
        transport = get_default_factory().create({"type": TYPE, "server": gms.url, "token": TOKEN})
        with pytest.raises(Exception) as raised:
            transport.emit(rehydrate(copy.deepcopy(EVENTS[0])))
    assert gms.authorization == {f"Bearer {TOKEN}"}
    error = raised.value
    assert "authentication error" in str(error) and "Authorization: ***" in str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)
    assert error.__cause__ is None and error.__context__ is None
    assert type(error).__name__ == "DataHubEmitError"
    assert getattr(error, "transient", None) is True  # a 401 is fixed by configuration: retry


def test_through_the_spool_the_token_is_in_no_log_no_output_no_file(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    inner = {"type": TYPE, "server": "", "token": TOKEN}
    with FakeGms() as gms:
        gms.unauthorized = True
        inner["server"] = gms.url
        config = {"type": SPOOL_TYPE, "directory": str(directory), "transport": inner}
        spool = SpoolTransport(SpoolConfig.from_dict({**config, "background": False}))
        for item in EVENTS[:3]:
            spool.emit(rehydrate(copy.deepcopy(item)))
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "LLM_LINEAGE_SPOOL_FORWARDER_CONFIG": json.dumps({**config, "retry_window_seconds": 0}),
        }
        subprocess.run(
            [sys.executable, "-m", "llm_lineage.transports.forwarder"], env=env, timeout=120
        )
        replay = subprocess.run(
            [str(Path(sys.executable).parent / "llm-lineage"), "replay", "--json"],
            env={**os.environ, "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(config)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    log = (directory / "forwarder.log").read_text()
    assert "authentication error" in log and "authentication error" in replay.stdout
    assert replay.returncode == 1 and json.loads(replay.stdout)["pending"] == 3
    for text in (log, replay.stdout, replay.stderr):
        assert TOKEN not in text


def test_an_event_datahub_cannot_convert_is_buried_and_blocks_nothing(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    metadata = tmp_path / "datahub.json"
    spool = SpoolTransport(
        SpoolConfig.from_dict(
            {
                "directory": str(directory),
                "transport": {"type": TYPE, "filename": str(metadata)},
                "background": False,
            }
        )
    )
    poison = copy.deepcopy(EVENTS[1])
    poison["inputs"] = 5
    (directory / "pending").mkdir(parents=True)
    (directory / "pending" / f"{1:020d}-0000001-000001.json").write_text(json.dumps(poison))
    for item in EVENTS[:4]:
        spool.emit(rehydrate(copy.deepcopy(item)))
    result = forward(spool.spool, spool.inner, window_seconds=0, lock_wait=0)
    assert result is not None
    assert (result.delivered, result.dead_letter, result.pending) == (4, 1, 0)
    [note] = (directory / "dead-letter").glob("*.response")
    assert "refused twice the same way" in note.read_text()
    assert "cannot be converted" in note.read_text()
    assert file_proposals(metadata)


def test_a_gms_that_is_down_keeps_every_event(tmp_path: Path) -> None:
    directory = tmp_path / "spool"
    inner = {"type": TYPE, "server": "http://127.0.0.1:9", "retry_max_times": 0}
    spool = SpoolTransport(
        SpoolConfig.from_dict(
            {"directory": str(directory), "transport": inner, "background": False}
        )
    )
    for item in EVENTS[:4]:
        spool.emit(rehydrate(copy.deepcopy(item)))
    result = forward(spool.spool, spool.inner, window_seconds=0, lock_wait=0)
    assert result is not None
    assert (result.delivered, result.dead_letter, result.pending) == (0, 0, 4)
