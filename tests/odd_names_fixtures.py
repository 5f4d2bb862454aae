"""A corpus of files with every kind of name the OS allows, each holding a known line of text.

Names the engine must read and record, as POSIX gives them: bytes that are not UTF-8 (a Latin-1
name from a Windows zip, in a file and in a folder), newlines, control characters and a
terminal escape, the longest name a file system takes, leading dashes, names that look like
URLs or hold ``%``, ``#``, ``?`` and a backslash.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote_to_bytes

#: Each file's name relative to the corpus, as bytes, -> the text it holds.
ODD_NAMES: dict[bytes, str] = {
    b"R\xe9sum\xe9.txt": "Latin-1 name.",
    b"d\xe9p\xf4t/notes.md": "# Notes\n\nIn a folder with a Latin-1 name.\n",
    b"line\nbreak.txt": "A newline in the name.",
    b"bell\x07tab\tesc\x1b[31mred.txt": "Control characters and a terminal escape.",
    b"-rf.txt": "A leading dash.",
    b"--help.md": "# Help\n\nTwo leading dashes.\n",
    b"https:/example.com/page.html": "<html><title>URL-like</title><p>A URL-like path.</p></html>",
    b"s3:bucket.txt": "A name like an object-store URL.",
    b"100%25 ?x=1#frag.txt": "Percent, query and fragment.",
    b"a\\b.txt": "A backslash, as a Windows zip leaves it.",
    b"\xe2\x80\xaegnp.txt": "A right-to-left override.",
    b"l" * 251 + b".txt": "The longest name ext4 takes (255 bytes).",
}
#: A good document beside them, with a plain name.
PLAIN = b"plain.txt"


def make_odd_names_corpus(root: Path) -> Path:
    """Write ``ODD_NAMES`` and ``PLAIN`` under ``root``, each name exactly these bytes."""
    for name, text in {**ODD_NAMES, PLAIN: "A plain name."}.items():
        path = odd_path(root, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode())
    return root


def odd_path(root: Path, name: bytes) -> Path:
    """``root / name`` for a name given as bytes (a ``str`` with surrogate escapes, PEP 383)."""
    return Path(os.fsdecode(os.fsencode(root) + b"/" + name))


def uri_bytes(uri: str) -> bytes:
    """The exact path a ``file://`` URI names, as bytes (the way back from an escaped name)."""
    assert uri.startswith("file://"), uri
    return unquote_to_bytes(uri[len("file://") :])
