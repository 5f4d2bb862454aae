"""Test session setup: a private AIRFLOW_HOME on SQLite, and a runner for real DAG runs.

The environment is set before anything imports Airflow, so in-process imports (operators,
DagBag) and the ``airflow`` subprocesses share one temporary home and never touch ~/airflow.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="llm-lineage-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(_HOME / "dags")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "False")
(_HOME / "dags").mkdir(exist_ok=True)
# The base-model digest cache, private to the session like everything else.
os.environ["LLM_LINEAGE_CACHE_DIR"] = str(_HOME / "cache")

TESTS = Path(__file__).parent
AIRFLOW = Path(sys.executable).with_name("airflow")

from olvalidate import read_events, validate_event  # noqa: E402

#: The shared fixture modules: their fixtures are visible to every test, with no import. A
#: module another one imports comes first, so that pytest rewrites its asserts too.
pytest_plugins = [
    "extraction_fixtures",
    "tokenizers_fixtures",
    "compliance_runs",
    "curation_fixtures",
    "embedding_fixtures",
    "plugin_fixtures",
    "provenance_runs",
    "publishing_fixtures",
    "report_runs",
    "s3_fixtures",
    "spool_fixtures",
]


@pytest.fixture(scope="session")
def airflow_home() -> Path:
    """AIRFLOW_HOME with a migrated SQLite metadata database (once per session)."""
    result = subprocess.run(
        [str(AIRFLOW), "db", "migrate"], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return _HOME


@pytest.fixture(autouse=True, scope="module")
def _release_airflow_connections() -> Iterator[None]:
    """After each module, close the connections in-process Airflow pooled to the session's
    SQLite database: one module's connections do not outlive it into the next module's runs
    (``airflow_db.read_bytes_elsewhere`` tells what a connection held too long went through)."""
    yield
    engine = getattr(sys.modules.get("airflow.settings"), "engine", None)
    if engine is not None:
        engine.dispose()


RunDag = Callable[..., "DagRun"]


class DagRun:
    """What one ``airflow dags test`` produced: its output and the events the file transport got."""

    def __init__(self, returncode: int, output: str, events: list[dict[str, Any]]) -> None:
        self.returncode = returncode
        self.output = output
        self.events = events

    def all(self, task_id: str, event_type: str) -> list[dict[str, Any]]:
        """Every event of ``event_type`` for ``task_id`` (one per mapped task instance)."""
        return [
            e
            for e in self.events
            if e["eventType"] == event_type and e["job"]["name"].endswith(f".{task_id}")
        ]

    def of(self, task_id: str, event_type: str) -> dict[str, Any]:
        """The one event of ``event_type`` for the task ``task_id``."""
        found = self.all(task_id, event_type)
        assert len(found) == 1, (
            f"{len(found)} {event_type} events for {task_id}: {self.output[-4000:]}"
        )
        return found[0]


def assert_no_asset_errors(output: str) -> None:
    """A successful run logs no error about assets: the task SDK logs ``ERROR Asset not found``
    when a task looks up a URI Airflow has no asset for (every new output, before)."""
    noisy = [line for line in output.splitlines() if "Asset not found" in line]
    assert noisy == [], noisy[:5]


@pytest.fixture(scope="session")
def run_dag(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> RunDag:
    """Run a DAG file for real with ``airflow dags test``; every event it emits is validated."""

    def run(
        dag_file: Path,
        dag_id: str,
        env: dict[str, str] | None = None,
        in_place: bool = False,
        conf: dict[str, Any] | None = None,
    ) -> DagRun:
        """``in_place``: parse the DAG from its own folder (example DAGs find data beside them).

        ``conf``: the DAG run's conf (params), as ``airflow dags trigger --conf`` takes it.
        """
        workdir = tmp_path_factory.mktemp(dag_id)
        events_file = workdir / "events.jsonl"
        if not in_place:
            (airflow_home / "dags" / dag_file.name).write_text(dag_file.read_text())
        folder = {"AIRFLOW__CORE__DAGS_FOLDER": str(dag_file.parent)} if in_place else {}
        run_env = {
            **os.environ,
            **folder,
            "AIRFLOW__OPENLINEAGE__TRANSPORT": (
                f'{{"type": "file", "log_file_path": "{events_file}", "append": true}}'
            ),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "llm-lineage-test",
            **(env or {}),
        }
        result = subprocess.run(
            [str(AIRFLOW), "dags", "test", dag_id, *(["-c", json.dumps(conf)] if conf else [])],
            capture_output=True,
            text=True,
            env=run_env,
            timeout=600,
        )
        events = read_events(events_file)
        assert events, (
            f"no OpenLineage events; output:\n{result.stdout[-5000:]}{result.stderr[-5000:]}"
        )
        for event in events:
            validate_event(event)
        return DagRun(result.returncode, result.stdout + result.stderr, events)

    return run
