"""The Parquet layout that embedding writes; the lineage schema facet is derived from it.

``embedding`` is a fixed-size list of float32, so pyarrow, pandas, DuckDB, LanceDB and Spark read
the vectors as one contiguous block of the model's dimension.
"""

from __future__ import annotations

import pyarrow as pa

EMBEDDINGS_FILE = "embeddings.parquet"


def _field(name: str, kind: pa.DataType, description: str) -> pa.Field:
    return pa.field(name, kind, nullable=False, metadata={"description": description})


def output_schema(dimension: int | None, include_text: bool) -> pa.Schema:
    """The schema a run writes; ``dimension`` None (not known before the model loads) gives a
    variable-size list, which is what lineage at task start reports."""
    vector = pa.list_(pa.float32(), dimension) if dimension else pa.list_(pa.float32())
    fields = [
        _field("doc_id", pa.string(), "Id of the document in the text Parquet"),
        _field("chunk_index", pa.int32(), "Position of the chunk within its document, from 0"),
        _field("start_char", pa.int64(), "Offset of the chunk's first character in the text"),
        _field("end_char", pa.int64(), "Offset after the chunk's last character in the text"),
        _field("token_count", pa.int32(), "Tokens of the chunk (the model's tokenizer)"),
        _field("embedding", vector, "The chunk's vector (float32)"),
    ]
    if include_text:
        fields.append(
            _field("text", pa.large_string(), "The chunk's text: text[start_char:end_char]")
        )
    return pa.schema(fields)
