"""Parquet written in row groups, with a content hash of the rows computed on the way.

The content hash covers the logical rows, not the file bytes, so it names the data whatever
the Parquet library's version or compression: rerunning on the same input gives the same hash.
A writer can leave columns out of the hash (where a file sat, when a file system touched it),
so a copy, a clone or a ``touch`` of the input gives the same hash too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.common.outputs import WrittenFile

#: Footer key of the rows' content hash (the dataset version lineage reports).
CONTENT_HASH_KEY = "llm_lineage.content_hash"


def _hash_value(value: Any) -> bytes:
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return len(encoded).to_bytes(8, "little") + encoded
    if isinstance(value, dt.datetime):
        return value.isoformat().encode()
    return json.dumps(value, sort_keys=True, default=str).encode()


class ParquetRowWriter:
    """Buffer rows, write a row group every ``group_rows`` rows or ``group_bytes`` of strings."""

    def __init__(
        self,
        path: Path,
        schema: pa.Schema,
        group_rows: int = 1000,
        group_bytes: int = 64 * 1024 * 1024,
        content: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    ) -> None:
        """``content`` picks what of a row is its content (what the hash covers); default: all."""
        self.path = path
        self.schema = schema
        self.content = content
        self.group_rows = group_rows
        self.group_bytes = group_bytes
        self._columns: dict[str, list[Any]] = {name: [] for name in schema.names}
        self._buffered_rows = 0
        self._buffered_bytes = 0
        self._rows = 0
        self._hash = hashlib.sha256()
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def add(self, row: dict[str, Any]) -> None:
        hashed = self.content(row) if self.content else row
        for name in self.schema.names:
            value = row.get(name)
            self._columns[name].append(value)
            if name in hashed:
                self._hash.update(_hash_value(hashed[name]))
            if isinstance(value, str):
                self._buffered_bytes += len(value)
        self._hash.update(b"\x1e")
        self._buffered_rows += 1
        self._rows += 1
        if self._buffered_rows >= self.group_rows or self._buffered_bytes >= self.group_bytes:
            self._flush()

    def _flush(self) -> None:
        if not self._buffered_rows:
            return
        table = pa.Table.from_pydict(self._columns, schema=self.schema)
        self._writer.write_table(table, row_group_size=self._buffered_rows)
        self._columns = {name: [] for name in self.schema.names}
        self._buffered_rows = 0
        self._buffered_bytes = 0

    def close(self, footer: dict[str, str] | None = None) -> WrittenFile:
        """Write the last row group and the footer: the content hash, plus ``footer``'s keys.

        With the hash in the footer, a later step names this file's version without reading it.
        """
        self._flush()
        digest = self._hash.hexdigest()
        self._writer.add_key_value_metadata({CONTENT_HASH_KEY: digest, **(footer or {})})
        self._writer.close()
        return WrittenFile(
            uri=str(self.path),
            rows=self._rows,
            size_bytes=self.path.stat().st_size,
            content_hash=digest,
        )

    def abort(self) -> None:
        """Close without publishing; the caller removes the staging file."""
        self._writer.close()
