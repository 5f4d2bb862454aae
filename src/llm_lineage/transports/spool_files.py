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
from pathlib import Path

from llm_lineage.common.durable import FOLDER_MODE, open_private, tighten, write_all


def private_folder(folder: Path) -> None:
    """Create ``folder`` (and its parents) and make it 0700 if it is ours and wider."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    tighten(folder, FOLDER_MODE)


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


def disk_bytes(info: os.stat_result) -> int:
    """What a file takes on disk (its blocks), not its length: the spool's cap counts this."""
    return int(getattr(info, "st_blocks", 0)) * 512 or info.st_size


class PrivateLogHandler(logging.handlers.RotatingFileHandler):
    """``forwarder.log``: rotated at 1 MiB like before, but created (and kept) 0600."""

    def _open(self) -> io.TextIOWrapper:
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if "a" in self.mode else os.O_TRUNC)
        descriptor = open_private(Path(self.baseFilename), flags)
        return open(descriptor, "a", encoding=self.encoding, errors=self.errors)
