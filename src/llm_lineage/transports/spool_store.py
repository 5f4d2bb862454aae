"""The spool on disk: one durable file per event, shared safely by every process of a machine.

Layout under the spool directory::

    pending/      events waiting for the backend, one JSON file each, named so that sorting the
                  names sorts them by the time they were spooled (per run: START before COMPLETE)
    dead-letter/  events the backend refused as invalid, each beside a ``.response`` file
                  holding the status and the response body
    tmp/          files being written; a rename moves a finished one into ``pending/``
    lost.log      one line (time, reason, event type, job, run id) per event that could not be
                  spooled; never any event content
    forward.lock  held by the one process that forwards at a time

A file appears in ``pending/`` only complete and fsynced (write to ``tmp/``, fsync, rename,
fsync the folder), so a crash at any moment leaves either the whole event or none of it.
Writers never lock: names are unique (time, pid, counter), and only the forwarder removes.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import itertools
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llm_lineage.common.errors import LlmLineageError

PENDING = "pending"
DEAD_LETTER = "dead-letter"
TMP = "tmp"
LOST_LOG = "lost.log"
LOCK = "forward.lock"

#: A temporary file older than this was left by a writer that died; the forwarder removes it.
STALE_TMP_SECONDS = 3600.0

_counter = itertools.count()


class SpoolFull(LlmLineageError, OSError):
    """Writing the event would take the spool past its size cap."""


@dataclass(frozen=True)
class SpoolStatus:
    """What ``llm-lineage spool status`` prints."""

    directory: str
    pending: int
    dead_letter: int
    lost: int
    bytes: int
    max_bytes: int
    oldest_age_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def event_summary(event: dict[str, Any]) -> str:
    """What a log line may say about an event: type, job and run id, never facets or names of data."""
    job = event.get("job") or {}
    run = event.get("run") or {}
    kind = event.get("eventType") or ("DATASET" if "dataset" in event else "JOB")
    return (
        f"{kind} of {job.get('namespace', '?')}/{job.get('name', '?')} run {run.get('runId', '-')}"
    )


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class Spool:
    """One spool directory. Cheap to create; every method works from what is on disk."""

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.pending = self.directory / PENDING
        self.dead_letter = self.directory / DEAD_LETTER
        self.tmp = self.directory / TMP

    def ensure(self) -> None:
        """Create the folders (mode 0700: events name jobs and data a platform may not publish)."""
        for folder in (self.directory, self.pending, self.dead_letter, self.tmp):
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def size(self) -> int:
        """Bytes held by pending and dead-letter events (what the cap limits)."""
        return sum(_sizes(self.pending)) + sum(_sizes(self.dead_letter))

    def write(self, payload: bytes) -> Path:
        """Spool one serialised event durably; refuse it when the cap would be passed."""
        self.ensure()
        if self.size() + len(payload) > self.max_bytes:
            raise SpoolFull(errno.ENOSPC, f"spool is full ({self.max_bytes} bytes)")
        name = f"{time.time_ns():020d}-{os.getpid():07d}-{next(_counter):06d}.json"
        temporary = self.tmp / name
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(descriptor, view) :]
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        final = self.pending / name
        temporary.rename(final)
        _fsync_folder(self.pending)
        return final

    def waiting(self) -> list[Path]:
        """Pending events, oldest first."""
        with contextlib.suppress(FileNotFoundError):
            return sorted(
                (
                    Path(entry.path)
                    for entry in os.scandir(self.pending)
                    if entry.name.endswith(".json")
                ),
                key=lambda path: path.name,
            )
        return []

    def delivered(self, path: Path) -> None:
        """Forget a delivered event at once: nothing is sent twice after a recorded success."""
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        _fsync_folder(self.pending)

    def bury(self, path: Path, status: int | None, response: str) -> Path:
        """Move a refused event to ``dead-letter/`` with the backend's answer beside it."""
        self.ensure()
        target = self.dead_letter / path.name
        (self.dead_letter / f"{path.stem}.response").write_text(
            f"status: {status}\n\n{response[:65536]}", encoding="utf-8"
        )
        path.rename(target)
        _fsync_folder(self.dead_letter)
        _fsync_folder(self.pending)
        return target

    def resurrect(self) -> int:
        """Move every dead letter back to ``pending/`` (after the backend or event was fixed)."""
        moved = 0
        for path in sorted(self.dead_letter.glob("*.json")) if self.dead_letter.exists() else []:
            path.rename(self.pending / path.name)
            with contextlib.suppress(FileNotFoundError):
                (self.dead_letter / f"{path.stem}.response").unlink()
            moved += 1
        return moved

    def record_lost(self, reason: str, summary: str) -> None:
        """Append one line to ``lost.log``; if even that fails, the caller's log line remains."""
        stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        with contextlib.suppress(OSError), (self.directory / LOST_LOG).open("a") as log:
            log.write(f"{stamp}\t{reason}\t{summary}\n")

    def sweep_temporary(self) -> None:
        """Remove half-written files of writers that died long ago."""
        limit = time.time() - STALE_TMP_SECONDS
        with contextlib.suppress(FileNotFoundError):
            for entry in os.scandir(self.tmp):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < limit:
                        Path(entry.path).unlink()

    @contextlib.contextmanager
    def forwarding(self, wait_seconds: float) -> Iterator[bool]:
        """Hold the forward lock (yields False when another process holds it past the wait)."""
        self.ensure()
        with (self.directory / LOCK).open("a") as handle:
            deadline = time.monotonic() + wait_seconds
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.1)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def status(self) -> SpoolStatus:
        waiting = self.waiting()
        oldest = None
        if waiting:
            spooled_ns = int(waiting[0].name.split("-", 1)[0])
            oldest = max(0.0, time.time() - spooled_ns / 1e9)
        dead = list(self.dead_letter.glob("*.json")) if self.dead_letter.exists() else []
        lost_log = self.directory / LOST_LOG
        lost = len(lost_log.read_text().splitlines()) if lost_log.exists() else 0
        return SpoolStatus(
            directory=str(self.directory),
            pending=len(waiting),
            dead_letter=len(dead),
            lost=lost,
            bytes=self.size(),
            max_bytes=self.max_bytes,
            oldest_age_seconds=oldest,
        )


def read_event(path: Path) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(path.read_bytes())
    return event


def _sizes(folder: Path) -> Iterator[int]:
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            with contextlib.suppress(FileNotFoundError):
                yield entry.stat().st_size
