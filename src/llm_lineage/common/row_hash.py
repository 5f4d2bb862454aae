"""How a value enters a content hash (``parquet.ParquetRowWriter``), without pyarrow.

Kept apart from ``parquet.py`` so that a reader process, which hashes the rows of the
documents it parses, does not import pyarrow.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

#: Ends each row in the content hash.
ROW_END = b"\x1e"


#: What ``json.dumps`` writes for the constants, looked up instead of encoded (an extraction
#: record hashes about ten ints and constants: 58 to 37 µs for the record).
_CONSTANTS: dict[Any, bytes] = {None: b"null", True: b"true", False: b"false"}


def hash_value(value: Any) -> bytes:
    """A value's bytes in the hash: strings length-prefixed, datetimes ISO, the rest JSON."""
    if isinstance(value, str):
        encoded = value.encode("utf-8")
        return len(encoded).to_bytes(8, "little") + encoded
    if isinstance(value, dt.datetime):
        return value.isoformat().encode()
    kind = type(value)
    if kind is int:
        return b"%d" % value  # json.dumps writes an int as its decimal text
    if value is None or kind is bool:
        return _CONSTANTS[value]
    return json.dumps(value, sort_keys=True, default=str).encode()


def hash_utf8(encoded: bytes) -> bytes:
    """The length prefix of a string given as its UTF-8 bytes (``hash_value`` is it + them)."""
    return len(encoded).to_bytes(8, "little")
