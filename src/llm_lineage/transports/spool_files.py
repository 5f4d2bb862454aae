"""Files and folders the spool creates: the owner's only, whatever the umask or what was there.

Spooled events name jobs, datasets and runs a platform may not publish, a ``.response`` file
holds whatever the backend answered, and ``forwarder.log`` says which backend failed: every
file is created 0600 and every folder 0700, and both are tightened when they already exist
(a spool folder made by hand with 0777, a ``lost.log`` from an older version at 0644).
"""

from __future__ import annotations

import contextlib
import io
import logging.handlers
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) and make it 0700 if it is ours and wider."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    tighten(folder, FOLDER_MODE)


def tighten(path: Path | int, mode: int) -> None:
    """Remove group and other bits from ``path`` (a path or an open descriptor) when set.

    A file or folder of another user that we may not change is left as it is: the spool still
    works, and refusing to would lose events.
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


def write_private(path: Path, data: bytes) -> None:
    """Write a whole new file at ``path``; on any error (ENOSPC) nothing half-written stays."""
    descriptor = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        write_all(descriptor, data)
    except BaseException:
        os.close(descriptor)
        with contextlib.suppress(OSError):
            path.unlink()
        raise
    os.close(descriptor)


def append_private(path: Path, text: str) -> None:
    """Append one line of text to a 0600 file (``lost.log``)."""
    descriptor = open_private(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        write_all(descriptor, text.encode("utf-8", "backslashreplace"))
    finally:
        os.close(descriptor)


def write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view) :]


def fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def disk_bytes(info: os.stat_result) -> int:
    """What a file takes on disk (its blocks), not its length: the spool's cap counts this."""
    return int(getattr(info, "st_blocks", 0)) * 512 or info.st_size


class PrivateLogHandler(logging.handlers.RotatingFileHandler):
    """``forwarder.log``: rotated at 1 MiB like before, but created (and kept) 0600."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in self.mode else os.O_TRUNC)
        descriptor = open_private(Path(self.baseFilename), flags)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)
