"""The optional vector store: an embedded LanceDB table, versioned alongside the Parquet.

A Lance table keeps every version it was written at. Each write is tagged
``llm-lineage-<version>`` with the dataset version of the embeddings it holds, so a lineage
version names a table version and the table can be checked out at it. Writing the same
embeddings version again adds no table version: the table already holds it, at its latest.
LanceDB is imported inside the functions, so the engine loads without the extra.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.progress import LogLike

TAG_PREFIX = "llm-lineage-"
TABLE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


class VectorStoreError(LlmLineageError):
    """The LanceDB table could not be written; the message names the database and table."""


@dataclass(frozen=True)
class TableVersion:
    uri: str
    """The database folder or object-store URI, as given."""
    table: str
    version: int
    """The Lance table version that holds the embeddings."""
    written: bool
    """False when the table already held this embeddings version at its latest."""


def version_tag(content_version: str) -> str:
    return TAG_PREFIX + content_version[:32]


def write_lance_table(
    embeddings: Path, uri: str, table: str, content_version: str, logger: LogLike
) -> TableVersion:
    """Write ``embeddings`` (Parquet) as table ``table`` of the LanceDB database at ``uri``."""
    try:
        import lancedb
    except ImportError as error:
        raise VectorStoreError(
            "the LanceDB vector store needs the lancedb package: install "
            "airflow-provider-llm-lineage[embedding]"
        ) from error
    tag = version_tag(content_version)
    try:
        database = lancedb.connect(uri)
        if table in database.list_tables().tables:
            existing = database.open_table(table)
            tagged = existing.tags.list().get(tag)
            if tagged is not None and tagged["version"] == existing.version:
                logger.info("LanceDB table %s in %s already holds version %s", table, uri, tag)
                return TableVersion(uri, table, existing.version, written=False)
        written = database.create_table(table, data=_batches(embeddings), mode="overwrite")
        if tag in written.tags.list():
            written.tags.update(tag, written.version)
        else:
            written.tags.create(tag, written.version)
    except Exception as error:
        raise VectorStoreError(
            f"writing LanceDB table {table!r} in {uri} failed: {type(error).__name__}: {error}"
        ) from error
    logger.info("Wrote LanceDB table %s in %s at table version %d", table, uri, written.version)
    return TableVersion(uri, table, written.version, written=True)


def _batches(embeddings: Path) -> object:
    """The Parquet as a RecordBatchReader: Lance reads it a row group at a time."""
    import pyarrow as pa

    parquet = pq.ParquetFile(embeddings)
    return pa.RecordBatchReader.from_batches(parquet.schema_arrow, parquet.iter_batches())
