"""A production-shaped Airflow for tests: PostgreSQL, Redis, CeleryExecutor, workers apart.

``RealAirflow`` (``tests/real_airflow.py``) runs the scheduler, DAG processor and API server;
here they use PostgreSQL for metadata and Redis as the Celery broker (``tests/backing_services``),
and Celery workers run the tasks. Each worker lives as if on a machine of its own:

- its own mount namespace (``unshare --mount``), in which a folder of its own is bind-mounted
  over the same path, ``<root>/local``: what one worker writes under that path (outputs, TMPDIR,
  working directory, task logs, OpenLineage events, the base-model cache, its copy of
  ``AIRFLOW_HOME``) the other never sees;
- its own host name (``unshare --uts``), which Airflow records on each task instance;
- its own Celery queue (its name), to which ``tests/multiworker_policy.py`` routes tasks.

The code (repository, virtual environment) is common, as in an image. Every component gets the
same ``[api] secret_key``, ``[api_auth] jwt_secret`` and Fernet key. The test process sees each
worker's disk at ``Worker.disk``.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from cryptography.fernet import Fernet

from backing_services import Postgres, Redis, missing
from real_airflow import AIRFLOW, RealAirflow, tail, wait_for

TESTS = Path(__file__).resolve().parent
POLICY = TESTS / "multiworker_policy.py"
#: Task processes per worker (two workers on a two-core machine).
CONCURRENCY = 2


@dataclass
class Worker:
    """One Celery worker: its name is its host name and its queue; ``disk`` backs its ``local``."""

    name: str
    disk: Path

    @property
    def events_file(self) -> Path:
        return self.disk / "openlineage" / "events.jsonl"

    @property
    def task_logs(self) -> Path:
        return self.disk / "logs"


@dataclass
class CeleryAirflow(RealAirflow):
    """``RealAirflow`` on PostgreSQL and Redis with Celery workers that share no local disk."""

    postgres: Postgres = field(default_factory=Postgres)
    redis: Redis | None = None
    worker_names: tuple[str, ...] = ("worker-a", "worker-b")
    #: ``{dag_id: {task_id: offset}}`` for the cluster policy.
    routes: dict[str, dict[str, int]] = field(default_factory=dict)
    workers: list[Worker] = field(default_factory=list)
    fernet_key: str = field(default_factory=lambda: Fernet.generate_key().decode())
    #: Seconds from nothing to every component and worker ready (set by ``start``).
    started_seconds: float = 0.0

    @property
    def local(self) -> Path:
        """The path every worker sees as its own local disk (empty outside the workers)."""
        return self.root / "local"

    def environment(self) -> dict[str, str]:
        assert self.redis is not None
        env = {
            name: value
            for name, value in super().environment().items()
            # Connections live in the metadata database; the tests' own cache dir is not ours.
            if not name.startswith("AIRFLOW_CONN_") and name != "LLM_LINEAGE_CACHE_DIR"
        }
        return {
            **env,
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": self.postgres.url,
            "AIRFLOW__CELERY__BROKER_URL": self.redis.url,
            # "db+postgresql://" would load psycopg 3 under SQLAlchemy 2.1, which is not installed.
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{self.postgres.url}",
            "AIRFLOW__CORE__FERNET_KEY": self.fernet_key,
            "AIRFLOW__CORE__PARALLELISM": str(CONCURRENCY * len(self.worker_names)),
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": str(CONCURRENCY * len(self.worker_names)),
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(CONCURRENCY),
            "LLM_LINEAGE_TEST_QUEUES": ",".join(self.worker_names),
            "LLM_LINEAGE_TEST_ROUTES": json.dumps(self.routes),
            **self.extra_env,
        }

    def start(self, timeout: float = 300.0) -> None:
        """PostgreSQL and Redis, then Airflow's components, then the workers (all bounded)."""
        started = time.monotonic()
        if shutil.which("unshare") is None:
            missing("unshare (util-linux)")
        self.redis = Redis(self.root / "redis")
        self.postgres.start()
        self.redis.start()
        config = self.home / "config"
        config.mkdir(parents=True, exist_ok=True)
        shutil.copy(POLICY, config / "airflow_local_settings.py")
        self.local.mkdir(parents=True, exist_ok=True)
        super().start(timeout)
        for worker in self.workers:
            log = self.logs / f"{worker.name}.log"
            wait_for(
                f"Celery worker {worker.name} to be ready",
                lambda log=log: True if self._worker_ready(log) else None,
                max(started + timeout - time.monotonic(), 1.0),
                every=1.0,
            )
        # The execution API (which task processes call) builds its app on the first request:
        # made here, not by the first task.
        wait_for(
            "the execution API",
            lambda: requests.get(f"{self.base_url}/execution/health", timeout=60).ok or None,
            max(started + timeout - time.monotonic(), 1.0),
        )
        self.started_seconds = time.monotonic() - started

    def spawn_more(self) -> None:
        """The workers start with the scheduler, DAG processor and API server."""
        for name in self.worker_names:
            self.workers.append(self._start_worker(name))

    def _worker_ready(self, log: Path) -> bool:
        self.check_alive()
        return log.exists() and b" ready." in log.read_bytes()

    def _start_worker(self, name: str) -> Worker:
        """``airflow celery worker`` in its own mount and UTS namespaces, on its own queue."""
        worker = Worker(name, self.root / "workers" / name)
        for part in ("tmp", "work", "logs", "openlineage", "cache", "output"):
            (worker.disk / part).mkdir(parents=True, exist_ok=True)
        # Its own AIRFLOW_HOME (config, the cluster policy), as an image would bring it.
        shutil.copytree(self.home, worker.disk / "home", ignore=shutil.ignore_patterns("logs"))
        local = self.local
        transport = {
            "type": "file",
            "log_file_path": str(local / "openlineage" / "events.jsonl"),
            "append": True,
        }
        env = {
            **self._env,
            "AIRFLOW_HOME": str(local / "home"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(local / "home" / "plugins"),
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(local / "logs"),
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport),
            "TMPDIR": str(local / "tmp"),
            "LLM_LINEAGE_OUTPUT": str(local / "output"),
            "LLM_LINEAGE_CACHE_DIR": str(local / "cache"),
            # Two "machines" on the cores of one: one torch thread each, as on one core.
            "OMP_NUM_THREADS": "1",
        }
        unshare = ["unshare", "--mount", "--uts", "--propagation", "private"]
        if os.geteuid() != 0:  # a user namespace grants the mount as a non-root user
            unshare.insert(1, "--map-root-user")
        setup = 'hostname "$1" && mount --bind "$2" "$3" && cd "$3/work" && shift 3 && exec "$@"'
        command = [
            *unshare,
            "--",
            "sh",
            "-c",
            setup,
            "sh",
            name,
            str(worker.disk),
            str(local),
            str(AIRFLOW),
            "celery",
            "worker",
            "--queues",
            name,
            "--concurrency",
            str(CONCURRENCY),
            # Task logs stay on the worker's disk; the test reads them there.
            "--skip-serve-logs",
            "--without-gossip",
            "--without-mingle",
        ]
        self.spawn(name, command, env=env, cwd=worker.disk)
        return worker

    def add_connection(self, conn_id: str, connection: dict[str, Any]) -> None:
        """Store a connection in the metadata database (encrypted with the Fernet key)."""
        extra = connection.get("extra")
        body = {
            "connection_id": conn_id,
            "conn_type": connection["conn_type"],
            "login": connection.get("login"),
            "password": connection.get("password"),
            "extra": json.dumps(extra) if isinstance(extra, dict) else extra,
        }
        response = self.api("POST", "/connections", json=body)
        assert response.status_code == 201, response.text

    def events_files(self) -> list[Path]:
        """Where the OpenLineage events went: the scheduler's file and each worker's own."""
        return [self.events_file, *(worker.events_file for worker in self.workers)]

    def stop(self, grace: float = 20.0) -> None:
        try:
            super().stop(grace)
        finally:
            if self.redis is not None:
                self.redis.stop()
            self.postgres.stop()

    def tails(self, size: int = 4000) -> str:
        parts = [super().tails(size)]
        for name, log in (
            ("postgres", self.postgres.log),
            ("redis", getattr(self.redis, "log", None)),
        ):
            if log is not None and log.exists():
                parts.append(f"===== {name} (last {size} bytes) =====\n{tail(log, size)}")
        return "\n".join(parts)
