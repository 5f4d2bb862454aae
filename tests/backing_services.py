"""PostgreSQL and Redis for tests: private servers on free ports of 127.0.0.1, in temp folders.

The servers are Debian's (``postgresql``, ``redis-server``; ``.ci/run`` installs them). Each
test session gets its own cluster and its own Redis, so nothing touches a system service.
PostgreSQL refuses to run as root: when the tests run as root, the cluster belongs to the
``postgres`` user and its programs run under ``runuser``. The cluster authenticates with a
password (SCRAM), so that a test can check that the password leaks nowhere.

Without the servers a developer's run skips; under ``CI`` it fails instead.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from real_airflow import free_port, tail, wait_for

POSTGRES_USER = "postgres"  # the OS user that owns the cluster when we are root
DB_USER = "airflow"
DB_NAME = "airflow"


def missing(what: str) -> None:
    """Skip on a developer's machine; fail under CI."""
    message = f"{what} is not installed (Debian packages postgresql, redis-server, util-linux)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this fails instead of skipping")
    pytest.skip(message)


def postgres_bindir() -> Path | None:
    """The newest installed PostgreSQL's programs (Debian keeps them off PATH)."""
    versions = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name)
    )
    if versions:
        return versions[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@dataclass
class Postgres:
    """One cluster in ``root`` (a fresh folder under the system temp folder), one database."""

    port: int = field(default_factory=free_port)
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    #: Set by ``start``: the cluster's folder (data, socket, log).
    root: Path = field(init=False, default=Path("/nonexistent"))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """The SQLAlchemy URL (psycopg2: SQLAlchemy 2.1 would pick psycopg 3 for plain ``postgresql``)."""
        return f"postgresql+psycopg2://{DB_USER}:{self.password}@127.0.0.1:{self.port}/{DB_NAME}"

    @property
    def log(self) -> Path:
        return self.root / "postgres.log"

    def _as_owner(self, command: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", POSTGRES_USER, "--", *command]
        return command

    def start(self, timeout: float = 60.0) -> None:
        bindir = postgres_bindir()
        if bindir is None:
            missing("PostgreSQL")
            return
        # Under the system temp folder, not pytest's: the postgres user cannot enter root's.
        self.root = Path(tempfile.mkdtemp(prefix="llm-lineage-pg-"))
        data = self.root / "data"
        pwfile = self.root / "pwfile"
        pwfile.write_text(self.password + "\n")
        pwfile.chmod(0o600)
        if os.geteuid() == 0:
            shutil.chown(self.root, POSTGRES_USER)
            shutil.chown(pwfile, POSTGRES_USER)
        initdb = [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            DB_USER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "--encoding=UTF8",
            "--locale=C",
        ]
        done = subprocess.run(self._as_owner(initdb), capture_output=True, text=True, timeout=120)
        pwfile.unlink()
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        settings = {
            "listen_addresses": "127.0.0.1",
            "port": str(self.port),
            "unix_socket_directories": str(self.root),
            "max_connections": "200",
            # A test cluster: durability buys nothing, speed does.
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
        }
        server = [str(bindir / "postgres"), "-D", str(data)]
        for name, value in settings.items():
            server += ["-c", f"{name}={value}"]
        handle = self.log.open("wb")
        if os.geteuid() == 0:
            shutil.chown(self.log, POSTGRES_USER)
        self.process = subprocess.Popen(
            self._as_owner(server),
            stdin=subprocess.DEVNULL,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        wait_for("PostgreSQL to accept connections", self._ready, timeout, every=0.5)
        self._create_database()

    def _ready(self) -> bool | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(f"postgres exited with {self.process.returncode}:\n{tail(self.log)}")
        import psycopg2

        try:
            psycopg2.connect(self.dsn("postgres")).close()
        except psycopg2.OperationalError:
            return None
        return True

    def dsn(self, database: str = DB_NAME) -> str:
        return (
            f"host=127.0.0.1 port={self.port} user={DB_USER} password={self.password} "
            f"dbname={database}"
        )

    def _create_database(self) -> None:
        import psycopg2

        connection = psycopg2.connect(self.dsn("postgres"))
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {DB_NAME}")
        connection.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            # SIGINT: PostgreSQL's fast shutdown. runuser passes signals on to its child.
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self.root.name.startswith("llm-lineage-pg-"):  # made by ``start``
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Redis:
    """``redis-server`` on a free port, no persistence, its folder in ``root``."""

    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.root / "redis.log"

    def start(self, timeout: float = 30.0) -> None:
        server = shutil.which("redis-server")
        if server is None:
            missing("Redis")
            return
        self.root.mkdir(parents=True, exist_ok=True)
        command = [
            server,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.root),
            "--save",
            "",
            "--appendonly",
            "no",
            "--logfile",
            str(self.log),
        ]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, start_new_session=True)
        wait_for("Redis to answer PING", self._ready, timeout, every=0.3)

    def _ready(self) -> bool | None:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"redis-server exited with {self.process.returncode}:\n{tail(self.log)}"
            )
        import redis

        try:
            return bool(redis.Redis(port=self.port, socket_timeout=2).ping()) or None
        except redis.ConnectionError:
            return None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
