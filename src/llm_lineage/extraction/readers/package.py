"""ZIP package checks (DOCX is a ZIP of XML parts) run before any library inflates a part.

A few hundred kilobytes of ZIP can inflate to gigabytes (a zip bomb). The directory's declared
sizes are checked first, for free. They are not enough on their own: ``zipfile`` does cut an
entry's data at its declared size (and fails its CRC check when the data runs longer), but
``ZipFile.read()``, which the DOCX reader uses, inflates the whole compressed stream in one call
before cutting it (measured: 437 MiB of peak memory to return a 1 KiB entry that really holds
200 MiB). So each entry is also inflated here, in 1 MiB steps that are counted and dropped,
and refused as soon as it passes its declared size.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from llm_lineage.extraction.limits import MAX_PACKAGE_PARTS, ReadLimits
from llm_lineage.extraction.model import DocumentError

#: A ZIP central-directory record's signature: counted before zipfile builds one object each.
_DIRECTORY_RECORD = b"PK\x01\x02"
_LOCAL_HEADER = b"PK\x03\x04"
_LOCAL_HEADER_SIZE = 30
#: Most bytes inflated at once while counting an entry's real size.
_STEP = 1024 * 1024


def open_package(data: bytes, limits: ReadLimits, kind: str) -> zipfile.ZipFile:
    """The package, opened for reading, once it has passed the checks: not absurdly many parts,
    expands to at most ``limits.max_expanded_bytes``, no part inflates past its declared size.

    ``kind`` names the format in reasons ("DOCX"). Costs one inflation of the package, counted
    in bounded steps, never held. Every part is checked, read later or not, so a package is
    refused or read whatever its reader needs from it. The caller closes the package.
    """
    package = _directory(data, kind)
    try:
        entries = package.infolist()
        expanded = sum(entry.file_size for entry in entries)
        if expanded > limits.max_expanded_bytes:
            largest = max(entries, key=lambda entry: entry.file_size)
            raise DocumentError(
                f"{kind} expands to {expanded:,} bytes, over max_expanded_bytes="
                f"{limits.max_expanded_bytes:,} (a zip bomb?); {largest.filename} alone is "
                f"{largest.file_size:,} bytes"
            )
        for entry in entries:
            _check_entry(data, entry, kind)
    except BaseException:
        package.close()
        raise
    return package


def _directory(data: bytes, kind: str) -> zipfile.ZipFile:
    if data.count(_DIRECTORY_RECORD) <= MAX_PACKAGE_PARTS:
        try:
            package = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise DocumentError(f"corrupt {kind}: {exc}") from exc
        if len(package.infolist()) <= MAX_PACKAGE_PARTS:
            return package
        package.close()
    raise DocumentError(
        f"{kind} has more than {MAX_PACKAGE_PARTS:,} parts (ZIP entries), the most read"
    )


def _check_entry(data: bytes, entry: zipfile.ZipInfo, kind: str) -> None:
    if entry.compress_type == zipfile.ZIP_STORED:
        return  # read as it is: never longer than the package
    if entry.compress_type != zipfile.ZIP_DEFLATED:
        # zipfile inflates bzip2 and LZMA parts whole, with no bound at all; Word never uses them
        raise DocumentError(
            f"{kind} part {entry.filename} uses ZIP compression method "
            f"{entry.compress_type}; only stored and deflated parts are read"
        )
    inflated = _inflated_size(_compressed(data, entry, kind), entry.file_size)
    if inflated > entry.file_size:
        raise DocumentError(
            f"{kind} part {entry.filename} inflates past the {entry.file_size:,} bytes its "
            "ZIP directory declares (a zip bomb?)"
        )


def _compressed(data: bytes, entry: zipfile.ZipInfo, kind: str) -> memoryview:
    """The entry's compressed bytes, found through its local header (no copy)."""
    start = entry.header_offset
    header = data[start : start + _LOCAL_HEADER_SIZE]
    if len(header) < _LOCAL_HEADER_SIZE or not header.startswith(_LOCAL_HEADER):
        raise DocumentError(f"corrupt {kind}: no local header for part {entry.filename}")
    name_length, extra_length = struct.unpack_from("<HH", header, 26)
    start += _LOCAL_HEADER_SIZE + name_length + extra_length
    return memoryview(data)[start : start + entry.compress_size]


def _inflated_size(compressed: memoryview, cap: int) -> int:
    """Bytes a raw deflate stream inflates to, counted in steps of at most _STEP; stops as
    soon as the count passes ``cap``. A malformed stream counts what inflated before it broke:
    zipfile and python-docx report the damage when they read it."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    size = 0
    try:
        for offset in range(0, len(compressed), _STEP):
            pending: bytes | memoryview = compressed[offset : offset + _STEP]
            while True:  # a full step may leave output pending after the input is used up
                step = len(inflater.decompress(pending, _STEP))
                size += step
                if size > cap:
                    return size
                pending = inflater.unconsumed_tail
                if not pending and step < _STEP:
                    break
            if inflater.eof:
                break
    except zlib.error:
        pass
    return size
