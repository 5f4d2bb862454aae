"""The ``llm-lineage replay`` and ``spool status`` commands, run as a user runs them.

The commands run as subprocesses (the console script, and once through ``airflow llm-lineage``)
against a spool that the transport filled and a Marquez-like server on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from lineage_servers import FakeMarquez
from spool_fixtures import (
    SPOOL_TYPE,
    fake_marquez,  # noqa: F401
    run_pairs,
    spool_transport,
)

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


def test_command_errors_are_one_clean_line() -> None:
    result = _cli(
        "replay", "--spool", "/nonexistent/spool", env={"AIRFLOW__OPENLINEAGE__TRANSPORT": ""}
    )
    assert result.returncode == 2
    assert result.stderr.startswith("llm-lineage: error: no transport to forward")
    assert "Traceback" not in result.stderr
