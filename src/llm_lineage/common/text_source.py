"""Opening a text Parquet source (extraction's ``text.parquet``), or a clear error saying why not.

Each engine passes its own failure constructor, so it still raises its own ``*Failed`` carrying
its partial result.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pyarrow as pa
import pyarrow.parquet as pq

#: The columns a text source must hold, both strings.
TEXT_COLUMNS = ("doc_id", "text")

R = TypeVar("R")


def footer_metadata(parquet: pq.ParquetFile) -> dict[str, str]:
    """The source's footer key-values (its chain, its content hash), without Arrow's schema."""
    metadata = parquet.metadata.metadata or {}
    return {
        key.decode("utf-8", "replace"): value.decode("utf-8", "replace")
        for key, value in metadata.items()
        if key != b"ARROW:schema"
    }


def open_text_source(
    source: Path,
    result: R,
    failed: Callable[[str, R], Exception],
    kind: str = "extraction output",
) -> pq.ParquetFile:
    """The source, once known to hold string ``doc_id`` and ``text`` columns.

    Raises ``failed(message, result)``; ``kind`` names what the source should have been in the
    message ("... is not <kind>: ...").
    """
    try:
        parquet = pq.ParquetFile(source)
    except (OSError, pa.ArrowException) as error:
        raise failed(f"{source} is not a readable Parquet file: {error}", result) from error
    schema = parquet.schema_arrow
    missing = [name for name in TEXT_COLUMNS if name not in schema.names]
    if missing:
        raise failed(f"{source} is not {kind}: missing column(s) {', '.join(missing)}", result)
    for name in TEXT_COLUMNS:
        field = schema.field(name).type
        if not (pa.types.is_string(field) or pa.types.is_large_string(field)):
            raise failed(f"{source} is not {kind}: column {name} is {field}, not a string", result)
    return parquet
