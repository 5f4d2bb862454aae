"""The embeddings Parquet, written a row group at a time, and its content-only version.

The version names what went in, not the float bytes (which differ with the device, the batch
composition and the kernel): the chunk layout read from the text (ids, offsets and token
counts, which hash the text's tokens), the model's fingerprint, and the settings that shape the
output. Same text, same model and same settings give the same version on any machine.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.common.outputs import WrittenFile
from llm_lineage.common.parquet import CONTENT_HASH_KEY
from llm_lineage.embedding.chunking import Chunk


class EmbeddingWriter:
    """Buffers encoded chunks and writes a row group every ``group_rows`` rows."""

    def __init__(self, path: Path, schema: pa.Schema, group_rows: int) -> None:
        self.path = path
        self.schema = schema
        self.group_rows = group_rows
        self.dimension = schema.field("embedding").type.list_size
        self.with_text = "text" in schema.names
        self._tables: list[pa.Table] = []
        self._buffered = 0
        self.rows = 0
        self._layout = hashlib.sha256()
        self._writer = pq.ParquetWriter(str(path), schema, compression="zstd")

    def add(self, chunks: list[Chunk], vectors: np.ndarray, texts: list[str] | None) -> None:
        """One batch of chunks and their vectors (float32, one row per chunk)."""
        if not chunks:
            return
        flat = pa.array(np.ascontiguousarray(vectors, dtype=np.float32).ravel(), pa.float32())
        columns: dict[str, Any] = {
            "doc_id": pa.array([c.doc_id for c in chunks], pa.string()),
            "chunk_index": pa.array([c.chunk_index for c in chunks], pa.int32()),
            "start_char": pa.array([c.start_char for c in chunks], pa.int64()),
            "end_char": pa.array([c.end_char for c in chunks], pa.int64()),
            "token_count": pa.array([c.token_count for c in chunks], pa.int32()),
            "embedding": pa.FixedSizeListArray.from_arrays(flat, self.dimension),
        }
        if self.with_text:
            columns["text"] = pa.array(texts, pa.large_string())
        self._layout.update(
            "".join(
                f"{c.doc_id}\x1f{c.chunk_index}\x1f{c.start_char}\x1f{c.end_char}\x1f"
                f"{c.token_count}\x1e"
                for c in chunks
            ).encode()
        )
        self._tables.append(pa.Table.from_pydict(columns, schema=self.schema))
        self._buffered += len(chunks)
        self.rows += len(chunks)
        while self._buffered >= self.group_rows:
            self._flush(self.group_rows)

    def _flush(self, rows: int) -> None:
        table = pa.concat_tables(self._tables) if len(self._tables) > 1 else self._tables[0]
        self._writer.write_table(table.slice(0, rows), row_group_size=rows)
        rest = table.slice(rows)
        self._tables = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def version(self, model_fingerprint: str, settings: dict[str, Any]) -> str:
        """The content-only version: the chunk layout, the model and the settings."""
        payload = {
            "layout": self._layout.hexdigest(),
            "model": model_fingerprint,
            "dimension": self.dimension,
            "settings": settings,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    def close(self, version: str, footer: dict[str, str] | None) -> WrittenFile:
        if self._buffered:
            self._flush(self._buffered)
        self._writer.add_key_value_metadata({CONTENT_HASH_KEY: version, **(footer or {})})
        self._writer.close()
        return WrittenFile(
            uri=str(self.path),
            rows=self.rows,
            size_bytes=self.path.stat().st_size,
            content_hash=version,
        )

    def abort(self) -> None:
        self._writer.close()
