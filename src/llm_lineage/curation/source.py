"""Opening the source: a Parquet file of extracted text, or a clear error saying why not."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.curation.model import CurationFailed, CurationResult
from llm_lineage.curation.tables import REQUIRED_COLUMNS


def footer_metadata(parquet: pq.ParquetFile) -> dict[str, str]:
    """The source's footer key-values (its chain, its content hash), without Arrow's schema."""
    metadata = parquet.metadata.metadata or {}
    return {
        key.decode("utf-8", "replace"): value.decode("utf-8", "replace")
        for key, value in metadata.items()
        if key != b"ARROW:schema"
    }


def open_source(source: Path, result: CurationResult) -> tuple[pq.ParquetFile, dict[str, str]]:
    """The source and its footer metadata, once it is known to hold ``doc_id`` and ``text``."""
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, pa.ArrowException) as error:
        raise CurationFailed(f"{source} is not a readable Parquet file: {error}", result) from error
    schema = parquet.schema_arrow
    missing = [name for name in REQUIRED_COLUMNS if name not in schema.names]
    if missing:
        raise CurationFailed(
            f"{source} is not extraction output: missing column(s) {', '.join(missing)}", result
        )
    for name in REQUIRED_COLUMNS:
        kind = schema.field(name).type
        if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
            raise CurationFailed(
                f"{source} is not extraction output: column {name} is {kind}, not a string",
                result,
            )
    return parquet, footer_metadata(parquet)
