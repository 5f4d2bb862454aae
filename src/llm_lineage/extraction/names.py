"""File names as the OS gives them, and as text that every writer (Parquet, JSON, logs) takes.

On POSIX a file name is bytes. Python hands a name that is not valid UTF-8 (a Latin-1
``R\\xe9sum\\xe9.txt`` from a Windows zip or a shared drive) over as a ``str`` with surrogate
escapes (PEP 383), which opens the file but cannot be written as UTF-8. So the engine keeps the
name's bytes for what must be exact (opening the file, document ids, the collection's version,
the percent-encoded URI) and shows it as ``readable`` text everywhere else.
"""

from __future__ import annotations


def name_bytes(name: str) -> bytes:
    """The bytes a name stands for: its UTF-8, with surrogate escapes back to their bytes.

    A valid name gives exactly its UTF-8 (so ids and versions of such names never change); a
    lone surrogate that is not an escape (``\\ud800`` from a decoded JSON key, say) gives the
    bytes ``surrogatepass`` writes rather than an error.
    """
    try:
        return name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogatepass")


def readable(text: str) -> str:
    """``text`` when it is valid UTF-8; else each undecodable byte shown as ``\\xNN``.

    ``R\\udce9sum\\udce9.txt`` (as ``os.listdir`` gives the Latin-1 name) becomes the ten
    characters ``R\\xe9sum\\xe9.txt``: readable, and accepted by Parquet, JSON and any log.
    The exact name is the document's URI, which percent-encodes the bytes (``R%E9sum%E9.txt``).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return name_bytes(text).decode("utf-8", "backslashreplace")
    return text
