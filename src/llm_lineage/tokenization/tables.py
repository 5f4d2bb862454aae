"""The Parquet layouts that tokenization writes; the lineage schema facets are derived from these.

``input_ids`` is list<int32> so Hugging Face ``datasets``, pandas, Spark and DuckDB read the
file as is, and a training loader can feed the column to a model without conversion.
"""

from __future__ import annotations

import pyarrow as pa

TOKENS_FILE = "tokens.parquet"


def _field(name: str, kind: pa.DataType, description: str) -> pa.Field:
    return pa.field(name, kind, nullable=False, metadata={"description": description})


_INPUT_IDS = _field("input_ids", pa.list_(pa.int32()), "Token ids of the sequence")
_NUM_TOKENS = _field("num_tokens", pa.int32(), "Number of token ids in the sequence")

#: One row per chunk of a document (packing=False).
CHUNKS_SCHEMA = pa.schema(
    [
        _field("doc_id", pa.string(), "Id of the document in the extraction output"),
        _field("chunk_index", pa.int32(), "Position of the chunk within its document, from 0"),
        _INPUT_IDS,
        _NUM_TOKENS,
    ]
)

#: One row per fixed-size block of the concatenated token stream (packing=True).
PACKED_SCHEMA = pa.schema(
    [
        _field("block_index", pa.int64(), "Position of the block in the output, from 0"),
        _INPUT_IDS,
        _NUM_TOKENS,
        _field(
            "doc_ids",
            pa.list_(pa.string()),
            "Ids of the documents whose tokens the block holds, in order",
        ),
    ]
)


def output_schema(packing: bool) -> pa.Schema:
    """The schema a run writes, known before it runs (for lineage at task start)."""
    return PACKED_SCHEMA if packing else CHUNKS_SCHEMA
