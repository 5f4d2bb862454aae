"""Parquet written in row groups, with a content hash of the rows computed on the way.

The content hash covers the logical rows, not the file bytes, so it names the data whatever
the Parquet library's version or compression: rerunning on the same input gives the same hash.
A writer can leave columns out of the hash (where a file sat, when a file system touched it),
so a copy, a clone or a ``touch`` of the input gives the same hash too.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from llm_lineage.common.background import BackgroundCall
from llm_lineage.common.errors import ConfigError
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.common.row_hash import ROW_END, hash_value

_hash_value = hash_value

#: Footer key of the rows' content hash (the dataset version lineage reports).
CONTENT_HASH_KEY = "llm_lineage.content_hash"


def _first_conversion() -> BackgroundCall:
    """pyarrow imports pandas, when it is installed, the first time it converts Python values
    (to tell whether they are pandas objects): 0.30 to 0.39 s of one core, once per process. Done
    by a thread while the writer's first rows are made, not when the first group is written."""
    if "pandas" in sys.modules:
        return BackgroundCall.done()
    return BackgroundCall(pa.array, [], pa.int8())


def _column_hashes(column: pa.ChunkedArray) -> list[bytes]:
    """``_hash_value`` of each of the column's values (as ``to_pylist`` gives them), per row.

    Integers and lists of integers, the bulk of token Parquet, are formatted by Arrow: an
    integer's decimal text is what ``json.dumps`` writes for it, and a list of them is that
    text joined by ``", "`` inside brackets, as ``json.dumps`` writes it. A column with nulls
    (``json.dumps`` writes ``null``) and every other type take ``_hash_value`` itself.
    """
    kind = column.type
    if column.null_count == 0:
        if pa.types.is_integer(kind):
            return [text.encode() for text in column.cast(pa.string()).to_pylist()]
        if pa.types.is_list(kind) and pa.types.is_integer(kind.value_type):
            flat = pc.list_flatten(column)
            if flat.null_count == 0:
                texts = pc.binary_join(column.cast(pa.list_(pa.string())), ", ")
                return [b"[" + text.encode() + b"]" for text in texts.to_pylist()]
    return [_hash_value(value) for value in column.to_pylist()]


class ParquetRowWriter:
    """Buffer rows, write a row group every ``group_rows`` rows or ``group_bytes`` of strings.

    A row group is compressed and written by a thread of its own (Arrow does it without the
    GIL) while the caller goes on adding rows: a group of large texts takes a tenth of a second
    or more, and an extraction run's task process must not stop feeding its readers for it.
    An error of that write is raised by the next ``add`` that flushes, or by ``close``. A new
    writer's thread first makes pyarrow's first conversion (``_first_conversion``).
    """

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
        self._tables: list[pa.Table] = []
        self._buffered_rows = 0
        self._buffered_bytes = 0
        self._rows = 0
        self._hash = hashlib.sha256()
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")
        self._written = _first_conversion()

    def add(self, row: dict[str, Any]) -> None:
        hashed = self.content(row) if self.content else row
        for name in self.schema.names:
            value = row.get(name)
            self._columns[name].append(value)
            if name in hashed:
                self._hash.update(_hash_value(hashed[name]))
            if isinstance(value, str):
                self._buffered_bytes += len(value)
        self._hash.update(ROW_END)
        self._buffered_rows += 1
        self._rows += 1
        if self._buffered_rows >= self.group_rows or self._buffered_bytes >= self.group_bytes:
            self._flush()

    def add_encoded(self, values: Sequence[Any], hashed: Iterable[bytes], strings: int) -> None:
        """Add one row whose hash bytes were made elsewhere (a reader process): ``values`` in
        schema order (a string column may take UTF-8 bytes), ``hashed`` the bytes ``add`` would
        feed the hash for it (its content columns' ``hash_value`` and ``ROW_END``), ``strings``
        the characters of its string values (what ``add`` counts towards ``group_bytes``).
        The same file and hash as ``add`` of the same row."""
        for column, value in zip(self._columns.values(), values, strict=True):
            column.append(value)
        for part in hashed:
            self._hash.update(part)
        self._buffered_bytes += strings
        self._buffered_rows += 1
        self._rows += 1
        if self._buffered_rows >= self.group_rows or self._buffered_bytes >= self.group_bytes:
            self._flush()

    def add_rows(self, columns: dict[str, list[Any]]) -> None:
        """Add many rows given column by column: the same file and hash as ``add`` per row.

        Faster than ``add`` for long rows: the values are converted to Arrow once, and the
        hash is computed from the Arrow columns (see ``_column_hashes``). The values hashed
        are the values stored, so give values that Arrow stores unchanged (a float in an
        integer column would be stored truncated). Not for writers with ``content``.
        """
        if self.content is not None:
            raise ConfigError("add_rows hashes whole rows; this writer hashes only their content")
        table = pa.Table.from_pydict(columns, schema=self.schema)
        hashes = [_column_hashes(column) for column in table.columns]
        self._hash.update(b"".join(b"".join(row) + b"\x1e" for row in zip(*hashes, strict=True)))
        self._rows += table.num_rows
        self._tables += self._added_rows()  # rows from ``add`` come first
        ends, strings = self._group_ends(table)
        start = 0
        for end in ends:
            self._tables.append(table.slice(start, end - start))
            self._buffered_rows += end - start
            self._flush()
            start = end
        if start < table.num_rows:
            self._tables.append(table.slice(start))
            self._buffered_rows += table.num_rows - start
        self._buffered_bytes = strings

    def _group_ends(self, table: pa.Table) -> tuple[list[int], int]:
        """The rows of ``table`` after which ``add`` would flush, and the string size left."""
        sizes = [
            pc.fill_null(pc.utf8_length(column), 0).to_pylist()
            for column in table.columns
            if pa.types.is_string(column.type) or pa.types.is_large_string(column.type)
        ]
        per_row = map(sum, zip(*sizes, strict=True)) if sizes else repeat(0, table.num_rows)
        ends, rows, strings = [], self._buffered_rows, self._buffered_bytes
        for row, size in enumerate(per_row, 1):
            rows, strings = rows + 1, strings + size
            if rows >= self.group_rows or strings >= self.group_bytes:
                ends.append(row)
                rows, strings = 0, 0
        return ends, strings

    def _added_rows(self) -> list[pa.Table]:
        """The rows that ``add`` buffered, as a table (none when there are none)."""
        if not any(self._columns.values()):
            return []
        table = pa.Table.from_pydict(self._columns, schema=self.schema)
        self._columns = {name: [] for name in self.schema.names}
        return [table]

    def _flush(self) -> None:
        """Hand the buffered rows to the writing thread as one row group (after the previous
        group is written: one group in flight, in order)."""
        if not self._buffered_rows:
            return
        tables = [*self._tables, *self._added_rows()]
        table = pa.concat_tables(tables).combine_chunks() if len(tables) > 1 else tables[0]
        self._written.wait()
        self._written = BackgroundCall(self._writer.write_table, table, self._buffered_rows)
        self._tables = []
        self._buffered_rows = 0
        self._buffered_bytes = 0

    def close(self, footer: dict[str, str] | None = None) -> WrittenFile:
        """Write the last row group and the footer: the content hash, plus ``footer``'s keys.

        With the hash in the footer, a later step names this file's version without reading it.
        """
        self._flush()
        self._written.wait()
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
        try:
            self._written.wait()
        finally:
            self._writer.close()
