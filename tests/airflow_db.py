"""Read the tests' Airflow metadata database (SQLite in the session's AIRFLOW_HOME) with SQL.

Plain SQL on the tables the Assets page, asset scheduling and XCom read, so a check does not
depend on the ORM state of the test process, and sees what the ``airflow`` processes committed.

Every read here happens in a short-lived process of its own, never with this process's SQLite
(see ``read_bytes_elsewhere``): the test process also imports Airflow, whose pooled connections
share one view of the database's write-ahead log with any connection opened here.
"""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any


def read_bytes_elsewhere(path: Path) -> bytes:
    """A file's bytes, read by another process: for the files of a SQLite database that this
    process may hold connections to (in-process Airflow keeps pooled ones to the tests' own).

    Closing any descriptor of a file drops every POSIX lock the process holds on that file, the
    SQLite connections' locks included. A plain ``read_bytes`` of ``airflow.db-shm`` here made
    the next ``airflow`` process take itself for the database's last user: it checkpointed and
    deleted the write-ahead log that this process still had mapped, and every later read here
    failed with ``database disk image is malformed`` (the file itself was sound).
    """
    return subprocess.run(["cat", "--", str(path)], capture_output=True, check=True).stdout


_QUERY = """
import pickle, sqlite3, sys
path, sql, args = pickle.load(sys.stdin.buffer)
with sqlite3.connect(path) as db:
    db.row_factory = sqlite3.Row
    found = db.execute(sql, args) if sql else None
    rows = [(row.keys(), tuple(row)) for row in found] if sql else list(db.iterdump())
pickle.dump(rows, sys.stdout.buffer)
"""


class Row(tuple[Any, ...]):
    """A row as ``sqlite3.Row`` gives it: values by position or by column name, ``keys()``."""

    _names: list[str]

    def __new__(cls, names: list[str], values: tuple[Any, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return super().__getitem__(self._names.index(key))
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._names)


def query_elsewhere(path: Path, sql: str, *args: Any) -> list[Any]:
    """The rows of ``sql`` (``Row``) read in another process; no ``sql``: the database's SQL
    dump, line by line."""
    done = subprocess.run(
        [sys.executable, "-c", _QUERY],
        input=pickle.dumps((str(path), sql, args)),
        capture_output=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"query on {path} failed: {done.stderr.decode(errors='replace')}")
    found: list[Any] = pickle.loads(done.stdout)
    return [Row(*row) for row in found] if sql else found


_BACKUP = """
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as source, sqlite3.connect(sys.argv[2]) as target:
    source.backup(target)
"""


def copy_database(source: Path, copy: Path) -> None:
    """A consistent copy of a SQLite database (its backup API), taken in another process."""
    subprocess.run([sys.executable, "-c", _BACKUP, str(source), str(copy)], check=True)


class AirflowDb:
    def __init__(self, home: Path) -> None:
        self.path = home / "airflow.db"

    def rows(self, sql: str, *args: Any) -> list[Row]:
        return query_elsewhere(self.path, sql, *args)

    def asset(self, uri: str) -> Row:
        """The one asset with this URI."""
        [row] = self.rows("SELECT * FROM asset WHERE uri = ?", uri)
        return row

    def events(self, uri: str) -> list[dict[str, Any]]:
        """Every event of the asset with this URI, oldest first, ``extra`` decoded."""
        found = self.rows(
            "SELECT e.* FROM asset_event e JOIN asset a ON a.id = e.asset_id "
            "WHERE a.uri = ? ORDER BY e.id",
            uri,
        )
        return [{**dict(row), "extra": json.loads(row["extra"])} for row in found]

    def active_uris(self) -> set[str]:
        """URIs of the active assets: what the Assets page and ``GET /api/v2/assets`` list."""
        return {row["uri"] for row in self.rows("SELECT uri FROM asset_active")}
