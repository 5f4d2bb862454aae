"""Documents to read, whatever the storage: the hook lists them, the engine reads them one by one.

A listing is a promise about names, not about bytes: a file can grow, turn into a FIFO or a
symlink between the listing and the read. So reads are bounded (never more than the limit plus
one byte) and, on local disk, open the file without following a symlink and check that it is
still a regular file.
"""

from __future__ import annotations

import fnmatch
import io
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from llm_lineage.extraction.model import DocumentError
from llm_lineage.extraction.names import name_bytes, readable

#: Reads at most ``limit + 1`` bytes, so the caller can tell "over the limit" from "at it".
BoundedRead = Callable[[int], bytes]


@dataclass(frozen=True)
class SourceDocument:
    """One file of a corpus: where it is, its size and time, and how to fetch its bytes.

    ``refused`` is set when the listing already knows the file must not be read (a symlink
    out of the source, a FIFO, a device): the engine records it as failed with that reason.

    A name need not be UTF-8 (see ``extraction/names.py``): ``relative_path`` and ``uri`` are
    given as the OS named the file and kept as ``readable`` text, ``key`` is the relative
    path's exact bytes (ids and versions are made from it), and ``read`` opens the real file.
    """

    uri: str
    relative_path: str
    size: int
    mtime: float | None
    read: BoundedRead
    refused: str | None = None
    key: bytes = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "key", name_bytes(self.relative_path))
        object.__setattr__(self, "relative_path", readable(self.relative_path))
        object.__setattr__(self, "uri", readable(self.uri))

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


def read_stream(opener: Callable[[], io.BufferedIOBase | io.RawIOBase], limit: int) -> bytes:
    """At most ``limit + 1`` bytes of what ``opener`` opens (any storage's binary file)."""
    with opener() as handle:
        return handle.read(limit + 1) or b""


_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _local_reader(path: str) -> BoundedRead:
    """Open without following a symlink and without blocking on a FIFO swapped in after listing."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)

    def read(limit: int) -> bytes:
        try:
            fd = os.open(path, flags)
        except OSError as error:
            raise DocumentError(f"cannot open: {error.strerror}") from error
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            raise DocumentError(f"not a regular file: {_kind(mode)}")
        with io.BufferedReader(io.FileIO(fd, "rb", closefd=True)) as handle:
            return handle.read(limit + 1)

    return read


def _inside(path: str, root: str) -> bool:
    return path == root or os.path.commonpath([path, root]) == root


@dataclass(frozen=True)
class _Entry:
    relative: str
    target: str
    refused: str | None = None
    folder: bool = False

    def wanted(self, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
        """Include patterns name files; a refused folder link is recorded unless excluded."""
        return is_selected(self.relative, ("*",) if self.folder else include, exclude)


def _file_entry(full: str, relative: str, real_root: str, follow_outside: bool) -> _Entry:
    """Where a listed file's bytes really are, or why it must not be read."""
    if Path(full).is_symlink():
        target = os.path.realpath(full)
        if not Path(target).exists():
            return _Entry(relative, full, "broken symlink: its target does not exist")
        if not follow_outside and not _inside(target, real_root):
            return _Entry(
                relative,
                full,
                "symlink outside the source: it points to a file outside the source folder "
                "(set follow_symlinks_outside_source=True to read such files)",
            )
        full = target
    mode = Path(full).stat().st_mode
    if not stat.S_ISREG(mode):
        return _Entry(relative, full, f"not a regular file: {_kind(mode)}")
    return _Entry(relative, full)


def _walk(root: str, real_root: str, follow_outside: bool) -> Iterator[_Entry]:
    """Every file under ``root`` in a stable order, hidden folders pruned, symlink cycles cut."""
    seen: set[str] = set()
    for folder, folders, files in os.walk(root, followlinks=True):
        real_folder = os.path.realpath(folder)
        prefix = os.path.relpath(folder, root).replace(os.sep, "/")
        prefix = "" if prefix == "." else prefix + "/"
        if real_folder in seen:  # a symlink cycle, or a second way into a folder already read
            folders[:] = []
            continue
        seen.add(real_folder)
        kept = []
        for name in sorted(folders):
            full = Path(folder, name)
            if name.startswith("."):
                continue
            outside = full.is_symlink() and not _inside(os.path.realpath(full), real_root)
            if outside and not follow_outside:
                yield _Entry(
                    prefix + name,
                    str(full),
                    "symlink outside the source: a folder outside the source folder, not followed",
                    folder=True,
                )
                continue
            kept.append(name)
        folders[:] = kept
        for name in sorted(files):
            yield _file_entry(str(Path(folder, name)), prefix + name, real_root, follow_outside)


def local_documents(
    root: Path,
    include: Iterable[str],
    exclude: Iterable[str] = (),
    follow_symlinks_outside_source: bool = False,
) -> list[SourceDocument]:
    """The selected files under a local folder (or the file itself), sorted by relative path.

    URIs keep the path as given (a symlinked source folder keeps its name); containment is
    checked on real paths, so ``..`` tricks and symlinks cannot reach outside the source.
    """
    root = Path(os.path.abspath(root))  # noqa: PTH100  (normalized, symlinks kept)
    include, exclude = tuple(include), tuple(exclude)
    if not root.is_dir():
        base = str(root.parent)
        real_base = os.path.realpath(base)
        entries: Iterable[_Entry] = [
            _file_entry(str(root), root.name, real_base, follow_symlinks_outside_source)
        ]
    else:
        base = str(root)
        entries = _walk(base, os.path.realpath(base), follow_symlinks_outside_source)
    documents = [_document(base, e) for e in entries if e.wanted(include, exclude)]
    return sorted(documents, key=lambda doc: doc.key)


def _document(base: str, entry: _Entry) -> SourceDocument:
    size, mtime = 0, None
    if entry.refused is None:
        info = Path(entry.target).stat()
        size, mtime = info.st_size, info.st_mtime
    return SourceDocument(
        uri=Path(base, entry.relative).as_uri(),
        relative_path=entry.relative,
        size=size,
        mtime=mtime,
        read=_local_reader(entry.target),
        refused=entry.refused,
    )
