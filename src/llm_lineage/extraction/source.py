"""Documents to read, whatever the storage: the hook lists them, the engine reads them one by one."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SourceDocument:
    """One file of a corpus: where it is, its size and time, and how to fetch its bytes."""

    uri: str
    relative_path: str
    size: int
    mtime: float | None
    read: Callable[[], bytes]

    @property
    def name(self) -> str:
        return self.relative_path.rsplit("/", 1)[-1]


def _matches(relative_path: str, patterns: Iterable[str]) -> bool:
    path = relative_path.lower()
    name = path.rsplit("/", 1)[-1]
    for pattern in patterns:
        pattern = pattern.lower()
        if fnmatch.fnmatchcase(path if "/" in pattern else name, pattern):
            return True
    return False


def is_selected(relative_path: str, include: Iterable[str], exclude: Iterable[str]) -> bool:
    """Hidden files and folders are skipped; then include must match and exclude must not.

    A pattern with a ``/`` matches the path relative to the source, one without matches the
    file name; both case-insensitively, so ``*.pdf`` also takes ``REPORT.PDF``.
    """
    if any(part.startswith(".") for part in relative_path.split("/")):
        return False
    return _matches(relative_path, include) and not _matches(relative_path, exclude)


def local_documents(
    root: Path, include: Iterable[str], exclude: Iterable[str] = ()
) -> list[SourceDocument]:
    """The selected files under a local folder (or the file itself), sorted by relative path."""
    root = root.resolve()
    files = [root] if root.is_file() else [p for p in root.rglob("*") if p.is_file()]
    base = root.parent if root.is_file() else root
    include, exclude = tuple(include), tuple(exclude)
    documents = []
    for path in files:
        relative = path.relative_to(base).as_posix()
        if not is_selected(relative, include, exclude):
            continue
        stat = path.stat()
        documents.append(
            SourceDocument(
                uri=path.as_uri(),
                relative_path=relative,
                size=stat.st_size,
                mtime=stat.st_mtime,
                read=path.read_bytes,
            )
        )
    return sorted(documents, key=lambda doc: doc.relative_path)
