"""Swapping a staged unit in: one ``renameat2(RENAME_EXCHANGE)``, else file by file.

On local disk the unit is staged in a folder beside the destination and exchanged with it in
one step when the destination holds only this step's files. At every instant the destination
holds the old unit or the new one, and the documented paths (``destination/text.parquet``) stay
plain files. Where there is no atomic exchange (not Linux, NFS, a mount point, a read-only
parent, other files in the folder), the files are renamed one by one, ``last`` last: for that
instant the run ids in the footers tell the mix (``run_ids.py``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from llm_lineage.common.progress import LogLike
from llm_lineage.storage.locks import LOCK_NAME


def publish_local(
    staged: Path, folder: Path, names: Sequence[str], owned: frozenset[str], logger: LogLike
) -> None:
    """Swap the staged unit in whole when we can, else rename its files in one by one."""
    if staged.parent.parent != folder.parent:
        why = "it is a mount point or its parent folder is not writable"
    elif not all(p.name in owned or p.name == LOCK_NAME for p in folder.iterdir()):
        why = "it holds files of its own (give each step a folder of its own)"
    else:
        _keep_attributes(folder, staged)
        shutil.copyfile(folder / LOCK_NAME, staged / LOCK_NAME)  # the lock stays through the swap
        if exchange(staged, folder):
            _return_strays(staged, folder, owned)
            return
        (staged / LOCK_NAME).unlink()
        why = "this system has no atomic exchange (renameat2)"
    logger.warning("Replacing the files in %s one by one: %s", folder, why)
    for name in names:
        (staged / name).replace(folder / name)


def _keep_attributes(folder: Path, staged: Path) -> None:
    """Give the folder that replaces ``folder`` its mode, owner and group, and ACLs if we may."""
    with contextlib.suppress(OSError):
        shutil.copystat(folder, staged)
    with contextlib.suppress(OSError):
        status = folder.stat()
        os.chown(staged, status.st_uid, status.st_gid)


def _return_strays(old: Path, folder: Path, owned: frozenset[str]) -> None:
    """Move back what someone else put into the folder while we checked it and swapped."""
    for entry in old.iterdir():
        if (
            entry.name not in owned
            and entry.name != LOCK_NAME
            and not (folder / entry.name).exists()
        ):
            entry.rename(folder / entry.name)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100
_NO_EXCHANGE = {errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV}


def exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step (Linux ``renameat2``); False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    renameat2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if renameat2 is None:  # C library without it (older glibc, some musl)
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    if (
        renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE)
        == 0
    ):
        return True
    code = ctypes.get_errno()
    if code in _NO_EXCHANGE:
        return False
    raise OSError(code, os.strerror(code), str(first), None, str(second))
