"""The spool on disk: one durable file per event, shared safely by every process of a machine.

Layout under the spool directory (folders 0700, files 0600, tightened when they exist)::

    pending/      events waiting for the backend, one JSON file each, named so that sorting the
                  names sorts them by the time they were spooled (per run: START before COMPLETE)
    dead-letter/  events the backend refused as invalid and poison files, each beside a
                  ``.response`` file holding the status (or the reason) and the answer, redacted
    tmp/          files being written; a rename moves a finished one into ``pending/``
    usage         the disk bytes of pending/ and dead-letter/ (``spool_usage.Usage``)
    lost.log      one line (time, reason, event type, job, run id) per event that could not be
                  spooled; never any event content
    forward.lock  held by the one process that forwards at a time

A file appears in ``pending/`` only complete and fsynced (write to ``tmp/``, fsync, rename,
fsync the folder), so a crash at any moment leaves either the whole event or none of it.
Writers never wait on the forwarder: names are unique (time, pid, counter); the size counter's
lock is held only for the rename. Only the forwarder removes.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_lineage.common import durable
from llm_lineage.common.durable import fsync_folder, write_synced
from llm_lineage.common.errors import LlmLineageError
from llm_lineage.transports.redaction import redact
from llm_lineage.transports.spool_events import event_summary, is_spool_name, spooled_ns
from llm_lineage.transports.spool_files import (
    append_private,
    disk_bytes,
    private_folder,
    write_private,
)
from llm_lineage.transports.spool_usage import Usage, folder_bytes

__all__ = ["LOCK", "Spool", "SpoolFull", "SpoolStatus", "event_summary"]

PENDING = "pending"
DEAD_LETTER = "dead-letter"
TMP = "tmp"
LOST_LOG = "lost.log"
LOCK = "forward.lock"

#: A temporary file older than this was left by a writer that died; the forwarder removes it.
STALE_TMP_SECONDS = 3600.0

#: What a ``.response`` file keeps of the backend's answer.
MAX_RESPONSE_CHARS = 65536

#: Before writing, an event is expected to take its length rounded up to this on disk.
BLOCK = 4096

_counter = itertools.count()


class SpoolFull(LlmLineageError, OSError):
    """Writing the event would take the spool past its size cap."""


@dataclass(frozen=True)
class SpoolStatus:
    """What ``llm-lineage spool status`` prints (``foreign``: files the spool did not write)."""

    directory: str
    pending: int
    dead_letter: int
    lost: int
    bytes: int
    max_bytes: int
    oldest_age_seconds: float | None
    foreign: int = 0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


class Spool:
    """One spool directory. Cheap to create; every method works from what is on disk."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.pending = self.directory / PENDING
        self.dead_letter = self.directory / DEAD_LETTER
        self.tmp = self.directory / TMP
        self.usage = Usage(self.directory, (self.pending, self.dead_letter))
        #: The disk bytes the spool held after this object's last write.
        self.used = 0
        self._ensured = False

    def ensure(self) -> None:
        """Create the folders, 0700 (events name jobs and data a platform may not publish)."""
        for folder in (self.directory, self.pending, self.dead_letter, self.tmp):
            private_folder(folder)
        self._ensured = True

    def size(self) -> int:
        """Disk bytes held by pending and dead-letter files (what the cap limits)."""
        return self.usage.peek()

    def write(self, payload: bytes) -> Path:
        """Spool one serialised event durably; refuse it when the cap would be passed."""
        if not self._ensured:
            self.ensure()
        estimate = -(-len(payload) // BLOCK) * BLOCK
        if self.usage.peek() + estimate > self.max_bytes:
            self._refuse_unless_room(estimate)
        name = f"{time.time_ns():020d}-{os.getpid():07d}-{next(_counter):06d}.json"
        temporary, final = self.tmp / name, self.pending / name
        try:
            size = self._write_temporary(temporary, payload)
            admitted = self.usage.admit(size, self.max_bytes, lambda: temporary.rename(final))
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        if admitted is None:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise SpoolFull(errno.ENOSPC, f"spool is full ({self.max_bytes} bytes)")
        self.used = admitted
        fsync_folder(self.pending)
        return final

    def _refuse_unless_room(self, estimate: int) -> None:
        if not self.usage.room(estimate, self.max_bytes):
            raise SpoolFull(errno.ENOSPC, f"spool is full ({self.max_bytes} bytes)")

    def _write_temporary(self, temporary: Path, payload: bytes) -> int:
        try:
            return disk_bytes(write_synced(temporary, payload))
        except FileNotFoundError:  # the folders were removed since: make them again
            self.ensure()
            return disk_bytes(write_synced(temporary, payload))

    def waiting(self) -> list[Path]:
        """Pending events the spool wrote, oldest first."""
        return sorted(
            (Path(entry.path) for entry in _entries(self.pending) if is_spool_name(entry.name)),
            key=lambda path: path.name,
        )

    def foreign(self) -> list[Path]:
        """Entries of ``pending/`` the spool did not write (poison for the forwarder)."""
        return sorted(Path(e.path) for e in _entries(self.pending) if not is_spool_name(e.name))

    def has_waiting(self) -> bool:
        """Whether anything is in ``pending/``, stopping at the first entry."""
        return next(_entries(self.pending), None) is not None

    def delivered(self, path: Path) -> None:
        """Forget a delivered event at once: nothing is sent twice after a recorded success."""
        size = _disk_size(path)
        self.usage.change(-size, lambda: _unlink(path))
        fsync_folder(self.pending)

    def bury(self, path: Path, status: int | None, response: str) -> Path:
        """Move a refused or poison file to ``dead-letter/`` with the answer (redacted) beside it.

        The ``.response`` file is best effort: on a full disk the event still moves (a rename
        takes no space), so the forwarder goes on and the reason stays in its log.
        """
        if not self._ensured:
            self.ensure()
        target = self.dead_letter / path.name
        if os.path.lexists(target) or path.name.endswith(".response"):
            target = self.dead_letter / f"{path.name}.{time.time_ns()}"
        note = self.dead_letter / f"{target.name.removesuffix('.json')}.response"
        text = f"status: {status}\n\n{redact(response[:MAX_RESPONSE_CHARS])}"

        def move() -> None:
            with contextlib.suppress(OSError):
                write_private(note, text.encode("utf-8", "backslashreplace"))
            path.rename(target)

        self.usage.change(0, move)
        self.usage.change(_disk_size(note))
        with contextlib.suppress(OSError):
            fsync_folder(self.dead_letter)
            fsync_folder(self.pending)
        return target

    def resurrect(self) -> int:
        """Move every dead letter back to ``pending/`` (after the backend or event was fixed)."""
        moved = 0
        for path in [p for p in _sorted(self.dead_letter) if is_spool_name(p.name)]:
            note = self.dead_letter / f"{path.stem}.response"

            def revive(path: Path = path, note: Path = note) -> None:
                path.rename(self.pending / path.name)
                _unlink(note)

            self.usage.change(-_disk_size(note), revive)
            moved += 1
        return moved

    def record_lost(self, reason: str, summary: str) -> None:
        """Append one line to ``lost.log``; if even that fails, the caller's log line remains."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with contextlib.suppress(OSError):
            append_private(self.directory / LOST_LOG, f"{stamp}\t{reason}\t{summary}\n")

    def sweep_temporary(self) -> None:
        """Remove half-written files of writers that died long ago."""
        limit = time.time() - STALE_TMP_SECONDS
        for entry in _entries(self.tmp):
            with contextlib.suppress(OSError):
                if entry.stat(follow_symlinks=False).st_mtime < limit:
                    Path(entry.path).unlink()

    def try_lock(self) -> int | None:
        """The forward lock, taken without waiting, as an open descriptor; None when held.

        The spool transport takes it before it starts a background forwarder and hands the
        descriptor to the child, so that no other writer starts one meanwhile.
        """
        return durable.try_lock(self.directory / LOCK)

    @contextlib.contextmanager
    def forwarding(self, wait_seconds: float, locked: int | None = None) -> Iterator[bool]:
        """Hold the forward lock (yields False when another process holds it past the wait).

        ``locked``: a descriptor that already holds it (inherited from the process that
        started this forwarder); it is closed, and the lock released, at the end.
        """
        if not self._ensured:
            self.ensure()
        descriptor = locked
        deadline = time.monotonic() + wait_seconds
        while descriptor is None:
            descriptor = self.try_lock()
            if descriptor is None:
                if time.monotonic() >= deadline:
                    yield False
                    return
                time.sleep(0.1)
        try:
            yield True
        finally:
            os.close(descriptor)

    def status(self) -> SpoolStatus:
        """Counts from the folders as they are; never fails on a file the spool did not write."""
        waiting = self.waiting()
        spooled = spooled_ns(waiting[0].name) if waiting else None
        oldest = None if spooled is None else max(0.0, time.time() - spooled / 1e9)
        dead = [e for e in _entries(self.dead_letter) if not e.name.endswith(".response")]
        return SpoolStatus(
            directory=str(self.directory),
            pending=len(waiting),
            dead_letter=len(dead),
            lost=_line_count(self.directory / LOST_LOG),
            bytes=folder_bytes(self.pending) + folder_bytes(self.dead_letter),
            max_bytes=self.max_bytes,
            oldest_age_seconds=oldest,
            foreign=len(self.foreign()),
        )


def _entries(folder: Path) -> Iterator[os.DirEntry[str]]:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        yield from os.scandir(folder)


def _sorted(folder: Path) -> list[Path]:
    return sorted(Path(entry.path) for entry in _entries(folder))


def _disk_size(path: Path) -> int:
    try:
        return disk_bytes(os.lstat(path))
    except OSError:
        return 0


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _line_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 16), b""))
    except OSError:
        return 0
