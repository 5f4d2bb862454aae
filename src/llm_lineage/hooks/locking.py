"""One writer per destination: a lock file or object with an owner record and a stale rule.

Two runs writing one destination (a retry overlapping a slow upload, two DAG runs with the same
parameters) would otherwise interleave their files. The lock is ``.llm-lineage.lock`` inside the
destination. It records its owner so that the second writer can say whom it waits for, and so
that the lock of a crashed owner can be taken over without a person: see ``is_stale``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import psutil
from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.progress import LogLike

LOCK_NAME = ".llm-lineage.lock"
#: Seconds without a heartbeat after which a lock or staging folder is stale, whoever owns it.
#: A live owner refreshes every quarter of this, so only a dead or frozen one gets there.
DEFAULT_STALE_AFTER = 600.0
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
class Owner:
    """Who holds a lock or a staging folder, written as JSON into the lock and the folder."""

    run_id: str
    destination: str
    #: The OS host name, for people: two workers in one pod (or on ``--network host``) share it.
    host: str
    #: Where ``pid`` means something: host name, boot id and pid namespace (see machine_id).
    machine: str
    pid: int
    #: The process's start time: a pid reused by another process does not look alive.
    process_started: float | None
    since: float
    #: Last heartbeat, for object stores (local locks use the file's mtime).
    refreshed: float
    #: The Airflow task instance, e.g. ``dag_id=a task_id=b run_id=c try=2``, if known.
    label: str | None = None
    #: A random id of the writing process (``process_id``): names it on any machine, whatever
    #: its host name and pid. None in records written before it existed.
    process: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Owner | None:
        """The record, or None for anything else (a lock still being written, another tool's)."""
        try:
            raw = json.loads(data)
            return cls(**{f.name: raw[f.name] for f in fields(cls) if f.name in raw})
        except (ValueError, TypeError, AttributeError):
            return None

    def describe(self) -> str:
        since = dt.datetime.fromtimestamp(self.since, dt.timezone.utc)
        who = f"{self.label}, " if self.label else ""
        process = f", process {self.process[:12]}" if self.process else ""
        return (
            f"run {self.run_id} ({who}pid {self.pid} on host {self.host}{process}) "
            f"since {since.isoformat(timespec='seconds')}"
        )


def describe(owner: Owner | None) -> str:
    return owner.describe() if owner else "a run that has not written its owner record yet"


_PROCESS: tuple[int, str] | None = None


def process_id() -> str:
    """A random id of this process, made on first use; a forked child makes its own."""
    global _PROCESS
    if _PROCESS is None or _PROCESS[0] != os.getpid():
        _PROCESS = (os.getpid(), uuid.uuid4().hex)
    return _PROCESS[1]


def _boot_id() -> str | None:
    """Linux's id of this boot; elsewhere the boot time (the same for every process)."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip() or None
    except OSError:
        return None if sys.platform.startswith("linux") else f"boot:{psutil.boot_time():.0f}"


def _pid_namespace() -> str | None:
    """Linux's pid namespace of this process; elsewhere there are none: one per machine."""
    try:
        return str(Path("/proc/self/ns/pid").readlink())
    except OSError:
        return None if sys.platform.startswith("linux") else "no-pid-namespaces"


@cache
def _machine() -> tuple[str, str | None, str | None]:
    return socket.gethostname(), _boot_id(), _pid_namespace()


def machine_id() -> str:
    """Host name, boot id and pid namespace: two records with the same value can compare pids.

    Two containers often share a host name (one pod, ``--network host``, a fixed
    ``hostname:``) and each has its own pid namespace, so the name alone would let one judge
    the other's live process dead. Where the boot id or the pid namespace cannot be read (a
    sandbox that hides ``/proc``), the id is this process's own (``process_id``): no other
    process then judges its pid, and its lock goes stale only by missing heartbeats.
    """
    host, boot, namespace = _machine()
    if boot is None or namespace is None:
        return f"{host}|process:{process_id()}"
    return f"{host}|{boot}|{namespace}"


def _process_started(pid: int) -> float | None:
    try:
        return float(psutil.Process(pid).create_time())
    except psutil.Error:
        return None


def current_owner(run_id: str, destination: str, label: str | None) -> Owner:
    now = time.time()
    return Owner(
        run_id=run_id,
        destination=destination,
        host=socket.gethostname(),
        machine=machine_id(),
        pid=os.getpid(),
        process_started=_process_started(os.getpid()),
        since=now,
        refreshed=now,
        label=label,
        process=process_id(),
    )


def process_alive(pid: int, started: float | None) -> bool:
    """Whether ``pid`` runs on this machine and is the process that started at ``started``."""
    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return started is None or abs(process.create_time() - started) < 1.0
    except psutil.NoSuchProcess:
        return False
    except psutil.Error:  # exists, but we may not look at it
        return True


def is_stale(
    owner: Owner | None, heartbeat: float, stale_after: float, now: float | None = None
) -> bool:
    """The stale rule, for locks and staging folders alike.

    Stale when the owner's process is gone from this machine (only checked when the record comes
    from this machine: see ``machine_id``), or when nothing refreshed it for ``stale_after``
    seconds, on any machine. A live owner refreshes every ``stale_after / 4`` seconds.
    """
    now = time.time() if now is None else now
    gone = (
        owner is not None
        and owner.machine == machine_id()
        and not process_alive(owner.pid, owner.process_started)
    )
    return gone or now - heartbeat > stale_after


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
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
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

    def __init__(self, path: ObjectStoragePath, uri: str) -> None:
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


class Heartbeat:
    """Call ``beat`` every ``interval`` seconds in a daemon thread while the block runs."""

    def __init__(self, interval: float, beat: Callable[[], None], logger: LogLike) -> None:
        self.interval = interval
        self.beat = beat
        self.log = logger
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llm-lineage-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except LockLost as lost:  # publish() verifies again and fails the run
                self.log.warning("%s", lost)
                return
            except Exception as error:  # a storage hiccup: the next beat may succeed
                self.log.warning("Lock heartbeat failed: %s", error)
