"""Read the tests' Airflow metadata database (SQLite in the session's AIRFLOW_HOME) with SQL.

Plain SQL on the tables the Assets page, asset scheduling and XCom read, so a check does not
depend on the ORM state of the test process, and sees what the ``airflow`` processes committed.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any


class AirflowDb:
    def __init__(self, home: Path) -> None:
        self.path = home / "airflow.db"

    def rows(self, sql: str, *args: Any) -> list[sqlite3.Row]:
        with sqlite3.connect(self.path) as db:
            db.row_factory = sqlite3.Row
            return db.execute(sql, args).fetchall()

    def asset(self, uri: str) -> sqlite3.Row:
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
