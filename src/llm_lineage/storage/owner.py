"""Who holds a lock or a staging folder, and whether that holder still lives.

An owner record is JSON in the lock and in each staging folder. It names the run and the
process that wrote it, so that the second writer can say whom it waits for, and so that what a
crashed owner left can be taken over without a person: see ``is_stale``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import sys
import time
import uuid
from dataclasses import asdict, dataclass, fields
from functools import cache
from pathlib import Path

import psutil

#: Seconds without a heartbeat after which a lock or staging folder is stale, whoever owns it.
#: A live owner refreshes every quarter of this, so only a dead or frozen one gets there.
DEFAULT_STALE_AFTER = 600.0


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
