"""A real Airflow for tests: scheduler, DAG processor and API server as separate processes.

``airflow dags test`` runs every task in one process. This module starts Airflow the way users
run it (LocalExecutor, SQLite, each task in its own process, the UI and REST API served by
``airflow api-server``) in a fresh ``AIRFLOW_HOME`` on a free port of 127.0.0.1, so that tests
can trigger DAGs through the REST API and open the UI in a browser.

Every wait is bounded. When something fails, ``tails()`` gives the end of each component's log.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypeVar

import psutil
import requests

REPO = Path(__file__).resolve().parent.parent
AIRFLOW = Path(sys.executable).with_name("airflow")
#: The components, in start order. No triggerer: nothing in the example DAGs defers.
COMPONENTS = (
    # Task logs stay on this machine's disk, so the log server (a fixed port on every
    # interface) is not needed.
    ("scheduler", ["scheduler", "--skip-serve-logs"]),
    ("dag-processor", ["dag-processor"]),
    ("api-server", ["api-server", "--host", "127.0.0.1", "--workers", "1"]),
)
TERMINAL_RUN_STATES = {"success", "failed"}

T = TypeVar("T")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tail(path: Path, size: int = 6000) -> str:
    if not path.exists():
        return "(no log)"
    data = path.read_bytes()
    return data[-size:].decode("utf-8", "replace")


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 2.0) -> T:
    """Call ``probe`` until it returns something other than None; fail after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
        except (requests.RequestException, ValueError) as error:  # not up yet, or not JSON yet
            value, last_error = None, error
        if value is not None:
            return value
        if time.monotonic() > deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise TimeoutError(f"gave up after {timeout:.0f}s waiting for {what}{detail}")
        time.sleep(every)


@dataclass
class Component:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    handle: IO[bytes]


@dataclass
class RealAirflow:
    """One Airflow installation under ``root``: home, DAG outputs and OpenLineage events."""

    root: Path
    dags_folder: Path = REPO / "example_dags"
    extra_env: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    components: list[Component] = field(default_factory=list)
    _env: dict[str, str] = field(default_factory=dict)
    _token: str | None = None

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def output(self) -> Path:
        """Where the example DAGs write (``LLM_LINEAGE_OUTPUT``), never the repository."""
        return self.root / "output"

    @property
    def events_file(self) -> Path:
        return self.root / "openlineage" / "events.jsonl"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def environment(self) -> dict[str, str]:
        """The environment of every component: the same home, database, secrets and transport."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("AIRFLOW__", "OPENLINEAGE")) and name != "AIRFLOW_HOME"
        }
        transport = {"type": "file", "log_file_path": str(self.events_file), "append": True}
        # Components run in other folders: a relative PYTHONPATH (``PYTHONPATH=src``) made absolute
        # so they import the same source as the tests.
        python_path = [
            str(Path(p).resolve()) for p in inherited.get("PYTHONPATH", "").split(os.pathsep) if p
        ]
        if python_path:
            inherited["PYTHONPATH"] = os.pathsep.join(python_path)
        return {
            **inherited,
            "PATH": f"{AIRFLOW.parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "AIRFLOW_HOME": str(self.home),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.home / 'airflow.db'}",
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            # DAGs scheduled on assets (llm_lineage_asset_scheduled) stay off unless a test
            # unpauses them.
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(self.home / "plugins"),
            # Two cores: two task processes at a time, one API worker.
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "2",
            "AIRFLOW__API__WORKERS": "1",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.base_url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            # One secret for all components: the scheduler signs the tasks' tokens, the API
            # server checks them.
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_hex(32),
            "AIRFLOW__API__SECRET_KEY": secrets.token_hex(32),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC": "2",
            # Assets created by a run's events are listed once the scheduler activates them,
            # which it does every parsing_cleanup_interval (60 s by default).
            "AIRFLOW__SCHEDULER__PARSING_CLEANUP_INTERVAL": "5",
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "llm-lineage-ui-test",
            "LLM_LINEAGE_OUTPUT": str(self.output),
            **self.extra_env,
        }

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self, timeout: float = 300.0) -> None:
        """Migrate the database, start the components, and wait until all report healthy."""
        for folder in (self.home / "plugins", self.logs, self.output, self.events_file.parent):
            folder.mkdir(parents=True, exist_ok=True)
        self._env = self.environment()
        deadline = time.monotonic() + timeout
        migrate_log = self.logs / "db-migrate.log"
        with migrate_log.open("wb") as handle:
            migrated = subprocess.run(
                [str(AIRFLOW), "db", "migrate"],
                env=self._env,
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
        if migrated.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{tail(migrate_log)}")
        for name, args in COMPONENTS:
            if name == "api-server":
                args = [*args, "--port", str(self.port)]
            self.spawn(name, [str(AIRFLOW), *args])
        self.spawn_more()
        wait_for(
            "a healthy scheduler, DAG processor and metadata database",
            self._healthy,
            max(deadline - time.monotonic(), 1.0),
        )

    def spawn_more(self) -> None:
        """More components to start with the others (before the wait); none here."""

    def spawn(
        self,
        name: str,
        command: list[str],
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
    ) -> Component:
        """Start one component in its own process group, its output in ``logs/<name>.log``."""
        log = self.logs / f"{name}.log"
        handle = log.open("wb")
        process = subprocess.Popen(
            command,
            env=env or self._env,
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=cwd or self.root,
            start_new_session=True,  # its own process group, killed as one at the end
        )
        component = Component(name, process, log, handle)
        self.components.append(component)
        return component

    def _healthy(self) -> bool | None:
        self.check_alive()
        response = requests.get(f"{self.base_url}/api/v2/monitor/health", timeout=10)
        if response.status_code != 200:
            return None
        health = response.json()
        needed = ("metadatabase", "scheduler", "dag_processor")
        healthy = all((health.get(part) or {}).get("status") == "healthy" for part in needed)
        return True if healthy else None

    def check_alive(self) -> None:
        """Fail at once, with its log, when a component died."""
        for component in self.components:
            code = component.process.poll()
            if code is not None:
                raise RuntimeError(
                    f"airflow {component.name} exited with {code}:\n{tail(component.log)}"
                )

    def stop(self, grace: float = 20.0) -> None:
        """Stop every component and whatever it started (task processes included)."""
        processes: list[psutil.Process] = []
        for component in self.components:
            try:
                parent = psutil.Process(component.process.pid)
                processes += [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
            if component.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(component.process.pid, signal.SIGTERM)
        _, alive = psutil.wait_procs(processes, timeout=grace)
        for component in self.components:
            if component.process.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(component.process.pid, signal.SIGKILL)
        for process in alive:  # children that left the group
            with suppress(psutil.NoSuchProcess):
                process.kill()
        psutil.wait_procs(alive, timeout=5)
        for component in self.components:
            with suppress(subprocess.TimeoutExpired):
                component.process.wait(timeout=5)
            component.handle.close()

    def tails(self, size: int = 4000) -> str:
        """The end of every component's log, for failure messages."""
        parts = []
        for log in sorted(self.logs.glob("*.log")):
            parts.append(f"===== {log.name} (last {size} bytes) =====\n{tail(log, size)}")
        return "\n".join(parts)

    @contextmanager
    def explained(self) -> Iterator[None]:
        """On any failure inside, print the components' logs (pytest shows them with it)."""
        try:
            yield
        except BaseException:
            print(self.tails(), file=sys.stderr)
            raise

    def keep_logs(self, destination: Path) -> None:
        """Copy the components' logs and the task logs to ``destination``."""
        destination.mkdir(parents=True, exist_ok=True)
        for log in self.logs.glob("*.log"):
            shutil.copy2(log, destination / log.name)
        task_logs = self.home / "logs"
        if task_logs.is_dir():
            shutil.copytree(task_logs, destination / "task-logs", dirs_exist_ok=True)

    # -- REST API ----------------------------------------------------------------------------

    def token(self) -> str:
        """A JWT for the REST API. All users are admins, so the token needs no password."""
        if self._token is None:
            response = requests.get(f"{self.base_url}/auth/token", timeout=30)
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call ``/api/v2{path}`` with the token; ``path`` parts must be quoted by the caller."""
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        return requests.request(
            method, f"{self.base_url}/api/v2{path}", headers=headers, timeout=30, **kwargs
        )

    def wait_for_dag(self, dag_id: str, timeout: float = 180.0) -> dict[str, Any]:
        """The DAG once the DAG processor has stored it; import errors in the message if not."""

        def parsed() -> dict[str, Any] | None:
            self.check_alive()
            response = self.api("GET", f"/dags/{quote(dag_id)}")
            return response.json() if response.status_code == 200 else None

        try:
            return wait_for(f"DAG {dag_id} to be parsed", parsed, timeout)
        except TimeoutError as error:
            errors = self.api("GET", "/importErrors").text
            raise TimeoutError(f"{error}; import errors: {errors[:4000]}") from error

    def trigger(self, dag_id: str, run_id: str, conf: dict[str, Any] | None = None) -> None:
        """Unpause the DAG and start a run with this id through the REST API."""
        unpaused = self.api("PATCH", f"/dags/{quote(dag_id)}", json={"is_paused": False})
        assert unpaused.status_code == 200, unpaused.text
        created = self.api(
            "POST",
            f"/dags/{quote(dag_id)}/dagRuns",
            json={"dag_run_id": run_id, "logical_date": None, "conf": conf or {}},
        )
        assert created.status_code == 200, created.text
        assert created.json()["dag_run_id"] == run_id, created.text

    def wait_for_run(self, dag_id: str, run_id: str, timeout: float) -> dict[str, Any]:
        """The run once it succeeded or failed (bounded)."""
        path = f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}"

        def finished() -> dict[str, Any] | None:
            self.check_alive()
            response = self.api("GET", path)
            response.raise_for_status()
            run: dict[str, Any] = response.json()
            return run if run["state"] in TERMINAL_RUN_STATES else None

        return wait_for(f"run {run_id} of {dag_id} to finish", finished, timeout, every=3.0)

    def task_instances(self, dag_id: str, run_id: str) -> list[dict[str, Any]]:
        response = self.api("GET", f"/dags/{quote(dag_id)}/dagRuns/{quote(run_id)}/taskInstances")
        response.raise_for_status()
        return list(response.json()["task_instances"])


def quote(part: str) -> str:
    """One path segment, every reserved character escaped (run ids may hold ``+`` and ``:``)."""
    return urllib.parse.quote(part, safe="")
