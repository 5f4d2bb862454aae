"""Reading the bytes of a live SQLite database's files must not break this process's view of it.

``test_secrets_dag`` searches every file of the tests' Airflow home, the metadata database's
included, while this process holds connections to that database. Read here, the close of the
``-shm`` file dropped those connections' locks, the next writer deleted the write-ahead log,
and the following reads here failed with ``database disk image is malformed``.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from airflow_db import read_bytes_elsewhere

WRITER = """
import sqlite3, sys
with sqlite3.connect(sys.argv[1]) as db:
    db.execute("DELETE FROM t WHERE rowid % ? = 0", (int(sys.argv[2]),))
    db.executemany("INSERT INTO t VALUES (?)", [("y" * 300,)] * 3000)
"""


def test_reading_the_files_elsewhere_keeps_the_write_ahead_log_and_the_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "airflow.db"
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE t (x)")
        setup.executemany("INSERT INTO t VALUES (?)", [(str(i) * 50,) for i in range(2000)])
    held = sqlite3.connect(path)  # as in-process Airflow holds pooled connections
    held.execute("SELECT count(*) FROM t").fetchall()
    setup.close()

    files = sorted(tmp_path.glob("airflow.db*"))
    assert [f.name for f in files] == ["airflow.db", "airflow.db-shm", "airflow.db-wal"]
    assert all(read_bytes_elsewhere(f) for f in files)  # none read here: see the docstring
    for modulus in (3, 5):
        subprocess.run([sys.executable, "-c", WRITER, str(path), str(modulus)], check=True)

    assert (tmp_path / "airflow.db-wal").exists()
    assert held.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    count = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM t').fetchone()[0])"
    fresh = subprocess.run([sys.executable, "-c", count, str(path)], capture_output=True, text=True)
    assert held.execute("SELECT count(*) FROM t").fetchone()[0] == int(fresh.stdout) > 6000
    held.close()
