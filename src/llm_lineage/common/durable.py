"""Durable, private files: the one file lock and the one atomic fsynced write of the provider.

Lineage names jobs, datasets and runs a platform may not publish, so what is written here is
the owner's only: files 0600, created so or tightened when they exist wider. A write is durable
and whole: the data goes to a temporary file that is fsynced, renamed over the target, and the
folder fsynced, so a crash at any moment leaves the old file or the new one, never half.
Locks are ``flock`` on a file of their own, opened anew each time (a lock on a descriptor
inherited across ``fork`` is shared with the parent, not exclusive). Used by the spool
(``transports/spool_store.py``, ``transports/spool_usage.py``), the DataHub file sink
(``transports/datahub/sinks.py``) and the local lock file of ``storage/locks.py``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def tighten(path: Path | int, mode: int) -> None:
    """Remove group and other bits from ``path`` (a path or an open descriptor) when set.

    A file or folder of another user that we may not change is left as it is: refusing to
    write would lose lineage.
    """
    with contextlib.suppress(OSError):
        info = path.lstat() if isinstance(path, Path) else os.fstat(path)
        if stat.S_ISLNK(info.st_mode) or not stat.S_IMODE(info.st_mode) & 0o077:
            return
        if isinstance(path, Path):
            path.chmod(mode)
        else:
            os.fchmod(path, mode)


def open_private(path: Path, flags: int) -> int:
    """``os.open`` with mode 0600 for a new file, and an existing one tightened to it."""
    descriptor = os.open(path, flags | os.O_CLOEXEC, FILE_MODE)
    tighten(descriptor, FILE_MODE)
    return descriptor


def write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def fsync_folder(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_synced(path: Path, data: bytes, mode: int = FILE_MODE) -> os.stat_result:
    """Create ``path`` (it must not exist: ``FileExistsError``), write ``data``, fsync it.

    Returns the file's status once written (the spool counts its blocks).
    """
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode)
    try:
        write_all(descriptor, data)
        os.fsync(descriptor)
        return os.fstat(descriptor)
    finally:
        os.close(descriptor)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with a 0600 file holding ``data``, whole and durable, or not at all.

    The temporary file is beside ``path`` (one file system, so the rename is atomic) and
    hidden (``.<name>.<random>``); on any error it is removed and ``path`` is unchanged.
    """
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        write_synced(temporary, data)
        temporary.chmod(FILE_MODE)  # exactly, whatever the umask: always the owner's
        temporary.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_folder(path.parent)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[int]:
    """Hold an exclusive lock on the 0600 file ``path`` (created if missing), waiting for it.

    Yields the open descriptor (read and write), closed, and the lock released, at the end.
    """
    descriptor = open_private(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        yield descriptor
    finally:
        os.close(descriptor)


def try_lock(path: Path) -> int | None:
    """The exclusive lock on ``path`` without waiting, as an open descriptor; None when held."""
    descriptor = open_private(path, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(descriptor)
        return None
    return descriptor
