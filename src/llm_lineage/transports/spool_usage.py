"""How much disk the spool holds, kept in one small file so that ``emit`` never scans a folder.

``usage`` in the spool directory holds the disk bytes (blocks, not lengths) of everything in
``pending/`` and ``dead-letter/``, and when they were last counted. Every change goes through
an exclusive ``flock`` on that file, opened anew each time (a lock on a descriptor inherited
across ``fork`` would be shared with the parent, not exclusive): a writer admits its event and
renames it into ``pending/`` under the lock, the forwarder removes or moves files under it. The
number is therefore exact across processes, and each emit costs one open, read and write of a
64-byte file, whatever the backlog.

It heals itself: a missing or unreadable file is recounted, the forwarder recounts when it
starts, and a writer about to refuse an event (spool full) recounts first when the last count
is older than ``RECOUNT_AFTER_SECONDS`` (files deleted by hand, a writer killed between its
rename and its count).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from llm_lineage.common import durable
from llm_lineage.transports.spool_files import disk_bytes

USAGE = "usage"

#: The file is rewritten in place at this width, so it never needs a new block (ENOSPC).
WIDTH = 64

#: A refusal recounts first when the last count is older than this.
RECOUNT_AFTER_SECONDS = 60.0


def folder_bytes(folder: Path) -> int:
    """Disk bytes of the entries of ``folder`` (not following links; a vanished one counts 0)."""
    total = 0
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for entry in os.scandir(folder):
            with contextlib.suppress(OSError):
                total += disk_bytes(entry.stat(follow_symlinks=False))
    return total


class Usage:
    """The counter of one spool: ``folders`` are what it counts."""

    def __init__(self, directory: Path, folders: tuple[Path, ...]) -> None:
        self.path = directory / USAGE
        self.folders = folders

    @contextlib.contextmanager
    def locked(self) -> Iterator[int]:
        """The counter file, open and exclusively locked, as a descriptor."""
        with durable.locked(self.path) as descriptor:
            yield descriptor

    def peek(self) -> int:
        """The last recorded total, without the lock (a recount when there is none)."""
        try:
            recorded = _parse(self.path.read_bytes())
        except OSError:
            recorded = None
        return recorded[0] if recorded else self.recount()

    def recount(self) -> int:
        """Count the folders again and record it (the forwarder does this when it starts)."""
        with self.locked() as descriptor:
            return self._recount(descriptor)

    def change(self, delta: int, action: Callable[[], object] = lambda: None) -> int:
        """Run ``action`` (an unlink, a rename) and add ``delta`` to the total, atomically."""
        with self.locked() as descriptor:
            total, stamp = self._read(descriptor)
            action()
            total = max(0, total + delta)
            _write(descriptor, total, stamp)
            return total

    def room(self, size: int, limit: int) -> bool:
        """Whether ``size`` more bytes fit (recounting first when a refusal looks stale)."""
        return self.admit(size, limit, lambda: None, count=False) is not None

    def admit(
        self, size: int, limit: int, action: Callable[[], object], count: bool = True
    ) -> int | None:
        """Run ``action`` and count ``size`` if the total stays within ``limit``; else None."""
        with self.locked() as descriptor:
            total, stamp = self._read(descriptor)
            stale = time.time_ns() - stamp > RECOUNT_AFTER_SECONDS * 1e9
            if total + size > limit and stale:
                total = self._recount(descriptor)
                stamp = time.time_ns()
            if total + size > limit:
                return None
            action()
            if count:
                _write(descriptor, total + size, stamp)
            return total + size

    def _read(self, descriptor: int) -> tuple[int, int]:
        recorded = _parse(os.pread(descriptor, WIDTH, 0))
        if recorded is None:
            return self._recount(descriptor), time.time_ns()
        return recorded

    def _recount(self, descriptor: int) -> int:
        total = sum(folder_bytes(folder) for folder in self.folders)
        _write(descriptor, total, time.time_ns())
        return total


def _parse(data: bytes) -> tuple[int, int] | None:
    try:
        total, stamp = (int(part) for part in data.split())
    except ValueError:
        return None
    return (total, stamp) if total >= 0 else None


def _write(descriptor: int, total: int, stamp: int) -> None:
    """Record the total; when even that fails (ENOSPC), empty the file so that it is recounted."""
    try:
        os.pwrite(descriptor, f"{total} {stamp}".ljust(WIDTH - 1).encode() + b"\n", 0)
    except OSError:
        with contextlib.suppress(OSError):
            os.ftruncate(descriptor, 0)
