"""What a step wrote: a small record every engine returns for each output file.

Kept apart from ``parquet.py`` so that importing it (reader processes do, through
``extraction.model``) does not import pyarrow.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class WrittenFile:
    """A file the run wrote: where, how many rows, how big, and its content hash."""

    uri: str
    rows: int
    size_bytes: int
    content_hash: str
