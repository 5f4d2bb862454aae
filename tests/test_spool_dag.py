"""Real DAG runs through the spool transport, against a Marquez-like backend on 127.0.0.1.

Each run sends every event to two places (a composite transport): a file, which is the ground
truth, and the spool in front of HTTP. Whatever the backend does, in the end it must hold
exactly the file's events: nothing lost, nothing stored twice, each run's START first.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_db import copy_database
from conftest import AIRFLOW, TESTS
from corpora import make_mixed_corpus
from lineage_servers import FakeMarquez
from olvalidate import read_events, validate_event
from tokenizers_fixtures import train_bpe

pytestmark = pytest.mark.dag

SPOOL_TYPE = "llm_lineage.transports.spool.SpoolTransport"
DATABASE = "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"
LLM_LINEAGE = Path(sys.executable).with_name("llm-lineage")


@dataclass
class Run:
    returncode: int
    output: str
    events: list[dict[str, Any]]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory, airflow_home: Path) -> dict[str, str]:
    root = tmp_path_factory.mktemp("delivery")
    (airflow_home / "dags" / "delivery_pipeline.py").write_text(
        (TESTS / "dags" / "delivery_pipeline.py").read_text()
    )
    # Registered once up front: two ``dags test`` processes would race to insert the DAG row.
    registered = subprocess.run(
        [str(AIRFLOW), "dags", "reserialize"], capture_output=True, text=True, timeout=300
    )
    assert registered.returncode == 0, registered.stderr[-3000:]
    return {
        "TEST_CORPUS": str(make_mixed_corpus(root / "corpus")),
        "TEST_BPE": str(train_bpe(root / "bpe").parent),
        **private_database(airflow_home / "airflow.db", root),
    }


def spool_settings(spool: Path, backend: FakeMarquez, **extra: Any) -> dict[str, Any]:
    return {
        "type": SPOOL_TYPE,
        "directory": str(spool),
        "transport": {
            "type": "http",
            "url": backend.url,
            "endpoint": "api/v1/lineage",
            "timeout": 2,
        },
        **extra,
    }


def private_database(source_file: Path, workdir: Path) -> dict[str, str]:
    """A copy of a metadata database for this module's runs: they leave the session's alone,
    and the two parallel runs write a copy each."""
    copy = workdir / "airflow.db"
    copy_database(source_file, copy)
    return {DATABASE: f"sqlite:///{copy}"}


def start_run(
    workdir: Path,
    inputs: dict[str, str],
    spool: dict[str, Any],
    logical_date: str,
    database: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[str], Path]:
    workdir.mkdir(parents=True, exist_ok=True)
    events = workdir / "events.jsonl"
    transport = {
        "type": "composite",
        "transports": {
            "file": {"type": "file", "log_file_path": str(events), "append": True},
            "spool": spool,
        },
    }
    env = {
        **os.environ,
        **inputs,
        "TEST_OUTPUT": str(workdir / "out"),
        "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
        "AIRFLOW__OPENLINEAGE__NAMESPACE": "llm-lineage-test",
        **(database or {}),
    }
    process = subprocess.Popen(
        [str(AIRFLOW), "dags", "test", "delivery_pipeline", logical_date],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    return process, events


def finish(process: subprocess.Popen[str], events_file: Path) -> Run:
    output, _ = process.communicate(timeout=600)
    events = read_events(events_file)
    for event in events:
        validate_event(event)
    assert events, output[-5000:]
    return Run(process.returncode, output, events)


def run_dag(
    tmp_path: Path, inputs: dict[str, str], spool: dict[str, Any], logical_date: str = "2024-01-02"
) -> Run:
    return finish(*start_run(tmp_path, inputs, spool, logical_date))


def key(event: dict[str, Any]) -> str:
    return json.dumps(event, sort_keys=True)


def assert_delivered_exactly(backend: FakeMarquez, events: list[dict[str, Any]]) -> None:
    """The backend stored each event once, and every run that has a START got it first."""
    stored = backend.stored()
    assert Counter(map(key, stored)) == Counter(map(key, events))
    assert_each_run_starts_first(stored, events)


def assert_each_run_starts_first(
    stored: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """(Under ``airflow dags test`` the DAG run itself emits only its COMPLETE.)"""
    started = {e["run"]["runId"] for e in events if e["eventType"] == "START"}
    firsts: dict[str, str] = {}
    for event in stored:
        firsts.setdefault(event["run"]["runId"], event["eventType"])
    assert {firsts[run_id] for run_id in started} == {"START"}, firsts
    assert started


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LLM_LINEAGE), *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def test_backend_down_for_a_whole_run_then_replay_delivers_and_dead_letters_refusals(
    tmp_path: Path, inputs: dict[str, str]
) -> None:
    backend = FakeMarquez()
    spool = tmp_path / "spool"
    settings = spool_settings(spool, backend, retry_window_seconds=0)
    run = run_dag(tmp_path, inputs, settings)
    assert run.returncode == 0, run.output[-5000:]
    assert len(run.events) >= 5
    assert "Lineage is being lost" not in run.output

    status = json.loads(cli("spool", "status", "--json", "--spool", str(spool)).stdout)
    assert (status["pending"], status["dead_letter"], status["lost"]) == (len(run.events), 0, 0)

    backend.start()
    backend.faults.refuse_jobs = ("tokenize",)
    configured = {"AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(settings)}
    replay = cli("replay", "--json", env=configured)
    refused = [e for e in run.events if e["job"]["name"].endswith(".tokenize")]
    assert len(refused) == 2
    assert replay.returncode == 1, replay.stderr
    report = json.loads(replay.stdout)
    assert (report["delivered"], report["dead_letter"], report["pending"]) == (
        len(run.events) - 2,
        2,
        0,
    )
    assert_delivered_exactly(backend, [e for e in run.events if e not in refused])
    dead = sorted((spool / "dead-letter").glob("*.json"))
    assert [json.loads(p.read_text()) for p in dead] == refused
    assert all(p.with_suffix(".response").read_text().startswith("status: 422") for p in dead)

    backend.faults.refuse_jobs = ()
    assert cli("replay", "--dead-letter", env=configured).returncode == 0
    assert_delivered_exactly(backend, run.events)
    backend.stop()


def test_server_errors_for_a_while_then_the_background_forwarder_delivers_everything(
    tmp_path: Path, inputs: dict[str, str]
) -> None:
    backend = FakeMarquez().start()
    backend.faults.failures_left = 4
    run = run_dag(tmp_path, inputs, spool_settings(tmp_path / "spool", backend))
    assert run.returncode == 0, run.output[-5000:]
    backend.wait_for(len(run.events))
    assert backend.answers.count(500) == 4
    assert_delivered_exactly(backend, run.events)
    backend.stop()


def test_a_backend_slower_than_the_timeout_neither_stalls_tasks_nor_floods_the_catalog(
    tmp_path: Path, inputs: dict[str, str]
) -> None:
    """Each request takes 3 s against a 2 s timeout: the task never waits, the retry succeeds."""
    backend = FakeMarquez().start()
    backend.faults.delay_seconds = 3.0
    run = run_dag(tmp_path, inputs, spool_settings(tmp_path / "spool", backend))
    assert run.returncode == 0, run.output[-5000:]
    assert "execution_timeout" not in run.output and "Timeout" not in run.output
    backend.wait_for(len(run.events), timeout=180)
    arrivals = Counter(map(key, backend.received))
    assert set(arrivals) == set(map(key, run.events))
    assert max(arrivals.values()) <= 2, arrivals.values()
    first_arrivals = list(dict.fromkeys(map(key, backend.stored())))
    assert_each_run_starts_first([json.loads(k) for k in first_arrivals], run.events)
    backend.stop()


def test_two_runs_in_parallel_share_one_spool(tmp_path: Path, inputs: dict[str, str]) -> None:
    backend = FakeMarquez().start()
    settings = spool_settings(tmp_path / "spool", backend)
    started = []
    for name, date in (("first", "2024-02-01"), ("second", "2024-02-02")):
        # A corpus each: two tasks registering one new input asset at the same moment race
        # inside Airflow's own asset table, which is not what this test is about.
        corpus = shutil.copytree(inputs["TEST_CORPUS"], tmp_path / f"corpus-{name}")
        own = {**inputs, "TEST_CORPUS": str(corpus)}
        (tmp_path / name).mkdir()
        database = private_database(
            Path(inputs[DATABASE].removeprefix("sqlite:///")), tmp_path / name
        )
        started.append(start_run(tmp_path / name, own, settings, date, database))
    runs = [finish(*pair) for pair in started]
    assert [r.returncode for r in runs] == [0, 0], runs[0].output[-3000:] + runs[1].output[-3000:]
    events = runs[0].events + runs[1].events
    assert len({e["run"]["runId"] for e in events}) >= 4
    backend.wait_for(len(events))
    assert_delivered_exactly(backend, events)
    assert len(backend.received) == len(events)
    backend.stop()


def test_an_unwritable_spool_keeps_the_task_green_and_the_log_says_lineage_is_lost(
    tmp_path: Path, inputs: dict[str, str]
) -> None:
    backend = FakeMarquez().start()
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    run = run_dag(tmp_path, inputs, spool_settings(blocker / "spool", backend))
    assert run.returncode == 0, run.output[-5000:]
    assert (
        run.output.count("Lineage is being lost: cannot write to the spool") >= len(run.events) - 2
    )
    # Sent directly instead: the backend is up, so nothing is lost after all.
    assert_delivered_exactly(backend, run.events)
    backend.stop()
