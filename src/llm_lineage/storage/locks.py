"""One writer per destination: a lock file or object holding its owner record.

Two runs writing one destination (a retry overlapping a slow upload, two DAG runs with the same
parameters) would otherwise interleave their files. The lock is ``.llm-lineage.lock`` inside the
destination; ``DestinationLock`` takes it (waiting up to a timeout), takes over a stale one
(``owner.is_stale``), refreshes, verifies and releases it.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

from llm_lineage.common.durable import write_synced
from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.progress import LogLike
from llm_lineage.storage.owner import Owner, describe, is_stale
from llm_lineage.storage.paths import StoragePath, is_local

LOCK_NAME = ".llm-lineage.lock"
#: Object stores: seconds between creating the lock and reading it back (see ObjectLockFile).
READ_BACK_DELAY = 1.0
#: Seconds between two tries while waiting for a busy destination.
POLL_SECONDS = 0.5


class DestinationBusy(LlmLineageError, RuntimeError):
    """Another run holds the destination's lock and did not let go within ``lock_timeout``."""

    def __init__(self, message: str, holder: Owner | None) -> None:
        super().__init__(message)
        self.holder = holder


class LockLost(LlmLineageError, RuntimeError):
    """Our lock was taken over (judged stale) or removed: we must not publish."""


@dataclass(frozen=True)
class Seen:
    """One reading of a lock: its owner, its last heartbeat, and what identifies this copy."""

    owner: Owner | None
    heartbeat: float
    tag: Any


class LockFile(Protocol):
    uri: str

    def create(self, data: bytes) -> bool:
        """Create the lock with ``data``; False when one exists."""

    def read(self) -> Seen | None:
        """The lock as it is now; None when there is none."""

    def touch(self, owner: Owner) -> None:
        """Record a heartbeat."""

    def remove(self, seen: Seen) -> bool:
        """Remove the lock if it is still the copy ``seen`` describes."""


class LocalLockFile:
    """``O_CREAT | O_EXCL``: exactly one creator wins, on local disks and NFSv3+ alike."""

    def __init__(self, path: Path, uri: str) -> None:
        self.path = path
        self.uri = uri

    def create(self, data: bytes) -> bool:
        try:
            write_synced(self.path, data, mode=0o644)
        except FileExistsError:
            return False
        return True

    def read(self) -> Seen | None:
        try:
            with self.path.open("rb") as handle:
                status = os.fstat(handle.fileno())
                data = handle.read()
        except FileNotFoundError:
            return None
        return Seen(Owner.from_bytes(data), status.st_mtime, (status.st_ino, data))

    def touch(self, owner: Owner) -> None:
        os.utime(self.path)

    def remove(self, seen: Seen) -> bool:
        """Rename aside, then compare: never removes a lock created after ``seen``.

        Inode and content together: a new lock can reuse a freed inode, never a run id.
        """
        aside = self.path.with_name(f"{LOCK_NAME}.{uuid.uuid4().hex}.taken")
        try:
            self.path.rename(aside)
        except FileNotFoundError:
            return False
        if (aside.stat().st_ino, aside.read_bytes()) == seen.tag:
            aside.unlink()
            return True
        with contextlib.suppress(FileExistsError):  # put back the lock we did not mean
            os.link(aside, self.path)
        aside.unlink()
        return False


class ObjectLockFile:
    """A lock object: conditional create where the filesystem has one, then a read-back.

    fsspec's ``pipe_file(mode="create")`` is a conditional create on filesystems that implement
    it (s3fs sends ``If-None-Match: *``); fsspec's default is check-then-write. Either way the
    lock is read back after ``READ_BACK_DELAY`` seconds, and the writer whose record is there
    wins. Without a conditional create, two writers that both pass the check and write more than
    ``READ_BACK_DELAY`` apart can both win: the footers' run ids then tell the mix.
    """

    def __init__(self, path: StoragePath, uri: str) -> None:
        self.fs = path.fs
        self.key = path.path
        self.uri = uri

    def create(self, data: bytes) -> bool:
        try:
            self.fs.pipe_file(self.key, data, mode="create")
        except FileExistsError:
            return False
        except TypeError:  # fsspec before 2024.12 has no mode: check, then write
            if self.fs.exists(self.key):
                return False
            self.fs.pipe_file(self.key, data)
        time.sleep(READ_BACK_DELAY)
        return self._bytes() == data

    def _bytes(self) -> bytes | None:
        try:
            return bytes(self.fs.cat_file(self.key))
        except FileNotFoundError:
            return None

    def read(self) -> Seen | None:
        data = self._bytes()
        if data is None:
            return None
        owner = Owner.from_bytes(data)
        # An object is written whole, so one without a record is not being written: stale.
        return Seen(owner, owner.refreshed if owner else 0.0, data)

    def touch(self, owner: Owner) -> None:
        self.fs.pipe_file(self.key, replace(owner, refreshed=time.time()).to_bytes())

    def remove(self, seen: Seen) -> bool:
        if self._bytes() != seen.tag:
            return False
        with contextlib.suppress(FileNotFoundError):
            self.fs.rm_file(self.key)
        return True


class DestinationLock:
    """Acquire (waiting up to a timeout), take over a stale lock, refresh, verify, release."""

    def __init__(self, file: LockFile, owner: Owner, stale_after: float, logger: LogLike) -> None:
        self.file = file
        self.owner = owner
        self.stale_after = stale_after
        self.log = logger
        self._refresh_lock = threading.Lock()

    def acquire(self, timeout: float) -> None:
        """Take the lock, or raise DestinationBusy naming the holder after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        logged = False
        while True:
            holder = self._try_acquire()
            if holder is None:
                return
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DestinationBusy(
                    f"{self.file.uri} is held by {describe(holder.owner)}: another run is "
                    f"writing this destination. Waited {timeout:g}s (lock_timeout). The lock "
                    "goes when that run ends; a crashed run's lock is taken over once its "
                    f"process is gone (same host) or after {self.stale_after:g}s without a "
                    "heartbeat",
                    holder.owner,
                )
            if not logged:
                self.log.info("Waiting up to %gs for %s", timeout, describe(holder.owner))
                logged = True
            time.sleep(min(POLL_SECONDS, remaining))

    def _try_acquire(self) -> Seen | None:
        """None when the lock is ours now, else the holder's lock as seen."""
        if self.file.create(self.owner.to_bytes()):
            return None
        seen = self.file.read()
        if seen is None:  # released between our create and our read: one more try
            return (
                None if self.file.create(self.owner.to_bytes()) else Seen(None, time.time(), None)
            )
        if not is_stale(seen.owner, seen.heartbeat, self.stale_after):
            return seen
        self.log.warning("Taking over the stale lock %s of %s", self.file.uri, describe(seen.owner))
        self.file.remove(seen)
        return None if self.file.create(self.owner.to_bytes()) else seen

    def verify(self) -> None:
        """Raise LockLost unless the lock is still ours."""
        seen = self.file.read()
        if seen is None or seen.owner is None or seen.owner.run_id != self.owner.run_id:
            holder = seen.owner if seen else None
            raise LockLost(
                f"{self.file.uri} is no longer held by run {self.owner.run_id} "
                f"(now: {describe(holder) if seen else 'no lock'}); nothing was published"
            )

    def refresh(self) -> None:
        with self._refresh_lock:
            self.verify()
            self.file.touch(self.owner)

    def release(self) -> None:
        with self._refresh_lock:
            seen = self.file.read()
            if seen is not None and seen.owner and seen.owner.run_id == self.owner.run_id:
                self.file.remove(seen)


def lock_file(destination: StoragePath, uri: str) -> LockFile:
    """The lock of ``destination`` (named ``uri``): a local file or an object."""
    lock_uri = f"{uri}/{LOCK_NAME}"
    if is_local(destination):
        return LocalLockFile(Path(destination.path) / LOCK_NAME, lock_uri)
    return ObjectLockFile(destination / LOCK_NAME, lock_uri)
