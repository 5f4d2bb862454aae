"""The ``llm-lineage replay`` and ``spool status`` commands, run as a user runs them.

The commands run as subprocesses (the console script, and once through ``airflow llm-lineage``)
against a spool that the transport filled and a Marquez-like server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from lineage_servers import FakeMarquez
from spool_fixtures import SPOOL_TYPE, run_pairs, spool_transport

BIN = Path(sys.executable).parent


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "llm-lineage"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
    )


def test_replay_and_status_commands(tmp_path: Path, backend: FakeMarquez) -> None:
    directory = tmp_path / "spool"
    transport = spool_transport(directory, backend.url)
    for event in [*run_pairs(2), *run_pairs(1, "bad")]:
        transport.emit(event)
    configured = {
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {
                "type": SPOOL_TYPE,
                "directory": str(directory),
                "transport": {"type": "http", "url": backend.url},
            }
        )
    }
    status = _cli("spool", "status", "--json", env=configured)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert (report["pending"], report["dead_letter"]) == (6, 0)
    assert report["oldest_age_seconds"] >= 0 and report["bytes"] > 0

    down = _cli("replay", env=configured)
    assert down.returncode == 1
    assert "delivered    0" in down.stdout and "pending      6" in down.stdout
    assert "ConnectionError" in down.stdout

    backend.start()
    backend.faults.refuse_jobs = ("bad0",)
    partly = _cli("replay", "--json", env=configured)
    assert partly.returncode == 1
    assert json.loads(partly.stdout) | {"last_error": None} == {
        "spool": str(directory),
        "delivered": 4,
        "dead_letter_new": 2,
        "revived": 0,
        "pending": 0,
        "dead_letter": 2,
        "last_error": None,
    }
    backend.faults.refuse_jobs = ()
    fixed = _cli(
        "replay",
        "--dead-letter",
        "--spool",
        str(directory),
        "--transport",
        json.dumps({"type": "http", "url": backend.url}),
    )
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert len(backend.stored()) == 6

    airflow = subprocess.run(
        [str(BIN / "airflow"), "llm-lineage", "spool", "status", "--spool", str(directory)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert airflow.returncode == 0, airflow.stderr[-2000:]
    assert "pending      0" in airflow.stdout and "dead letter  0" in airflow.stdout


def test_command_errors_are_one_clean_line(tmp_path: Path) -> None:
    result = _cli("replay", "--spool", str(tmp_path), env={"AIRFLOW__OPENLINEAGE__TRANSPORT": ""})
    assert result.returncode == 2
    assert result.stderr.startswith("llm-lineage: error: no transport to forward")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [["replay"], ["spool", "status"]])
def test_a_spool_folder_that_does_not_exist_is_refused_not_created(
    tmp_path: Path, command: list[str]
) -> None:
    missing = tmp_path / "no-such-spool"
    transport = json.dumps({"type": "console"})
    result = _cli(*command, "--spool", str(missing), "--transport", transport)
    assert result.returncode == 2
    assert (
        result.stderr == f"llm-lineage: error: no spool at {missing}: the folder does not exist\n"
    )
    assert not missing.exists()


@pytest.mark.parametrize(
    ("configured", "message"),
    [
        ({"type": SPOOL_TYPE, "transport": {"type": "console"}}, "'directory' is required"),
        ({"type": SPOOL_TYPE, "directory": "x", "transport": {"type": "nope"}}, "transport"),
    ],
)
def test_a_configuration_error_is_one_line(
    tmp_path: Path, configured: dict[str, Any], message: str
) -> None:
    (tmp_path / "spool").mkdir()
    configured = (
        {**configured, "directory": str(tmp_path / "spool")}
        if "directory" in configured
        else configured
    )
    result = _cli("replay", env={"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(configured)})
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("llm-lineage: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_status_and_replay_survive_files_the_spool_did_not_write(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    directory = tmp_path / "spool"
    transport = spool_transport(directory, backend.url)
    for event in run_pairs(1):
        transport.emit(event)
    (directory / "pending" / "README").write_text("not an event")
    (directory / "pending" / f"{1:020d}-0000001-000001.json").write_text("null")
    http = json.dumps({"type": "http", "url": backend.url})
    status = _cli("spool", "status", "--json", "--spool", str(directory))
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout) | {"oldest_age_seconds": 0, "bytes": 0} == {
        "directory": str(directory),
        "pending": 3,
        "dead_letter": 0,
        "lost": 0,
        "bytes": 0,
        "max_bytes": 1 << 30,
        "oldest_age_seconds": 0,
        "foreign": 1,
    }
    backend.start()
    replay = _cli("replay", "--json", "--spool", str(directory), "--transport", http)
    assert replay.returncode == 1, replay.stderr  # two dead letters now
    assert json.loads(replay.stdout)["delivered"] == 2
    assert json.loads(replay.stdout)["dead_letter"] == 2
    assert len(backend.stored()) == 2


def test_no_credential_reaches_the_output_the_log_or_a_response_file(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    """The inner URL's password and an API key, against a backend answering 503 and a 422
    that echoes the request's Authorization header."""
    directory = tmp_path / "spool"
    url = f"http://alice:pw-s3cret@127.0.0.1:{backend.port}"
    inner = {"type": "http", "url": url, "auth": {"type": "api_key", "apiKey": "key-s3cret"}}
    configured = {
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
            {"type": SPOOL_TYPE, "directory": str(directory), "transport": inner}
        )
    }
    transport = spool_transport(directory, backend.url)
    for event in [*run_pairs(1), *run_pairs(1, "bad")]:
        transport.emit(event)
    backend.faults.echo_authorization = True
    backend.faults.fail_until = time.monotonic() + 3600
    backend.start()
    outputs = [_cli("replay", "--json", env=configured), _cli("replay", env=configured)]
    background = json.loads(configured["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    subprocess.run(  # the background forwarder, as emit starts it, writes forwarder.log
        [sys.executable, "-m", "llm_lineage.transports.forwarder"],
        env={
            **os.environ,
            "LLM_LINEAGE_SPOOL_FORWARDER_CONFIG": json.dumps(
                {**background, "retry_window_seconds": 0}
            ),
        },
        timeout=120,
    )
    backend.faults.fail_until = 0
    backend.faults.refuse_jobs = ("bad0",)
    outputs.append(_cli("replay", "--json", env=configured))
    # requests sends the URL's user and password as Basic credentials (over the API key)
    basic = base64.b64encode(b"alice:pw-s3cret").decode()
    assert backend.authorizations == {f"Basic {basic}"}
    texts = [o.stdout + o.stderr for o in outputs]
    assert "500 Server Error" in texts[0] and "http://***@127.0.0.1" in texts[0]
    notes = [p.read_text() for p in (directory / "dead-letter").glob("*.response")]
    assert len(notes) == 2 and all("Authorization" in note for note in notes)
    log = (directory / "forwarder.log").read_text()
    assert "500 Server Error" in log and "http://***@127.0.0.1" in log
    for text in [*texts, *notes, log]:
        assert "s3cret" not in text and basic not in text
