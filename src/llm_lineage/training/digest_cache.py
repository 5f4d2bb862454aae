"""sha256 of weight files without reading them again: a cache keyed by what the file system says.

Fingerprinting a 7B base model reads 14 GB before training starts, on every run. The weights
rarely change, and when they do the file system says so: a write changes the size, the
modification time or, whatever a tool does to the timestamps, the inode change time (which no
user call can set back). So a digest is reused when device, inode, size, modification and
change time (all in nanoseconds) are the ones it was computed for; anything else hashes again.

Hub downloads need no cache of ours: the Hugging Face cache stores each large (LFS) file as
``blobs/<sha256>``, the hub's own digest, and the snapshot links to it by that name.

Entries are one small JSON file each (named by a hash of the path), written atomically, so
concurrent tasks on one machine never corrupt each other's. ``LLM_LINEAGE_CACHE_DIR`` moves the
cache (default ``$XDG_CACHE_HOME/llm-lineage`` or ``~/.cache/llm-lineage``); ``off`` turns it off.
A cache that cannot be written is skipped, never an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

ENVIRONMENT = "LLM_LINEAGE_CACHE_DIR"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def cache_root() -> Path | None:
    """The provider's cache folder on this machine, None when ``LLM_LINEAGE_CACHE_DIR=off``."""
    configured = os.environ.get(ENVIRONMENT, "")
    if configured.strip().lower() == "off":
        return None
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "llm-lineage"


def cache_folder() -> Path | None:
    root = cache_root()
    return None if root is None else root / "weight-digests"


def _identity(path: Path) -> dict[str, int | str]:
    real = path.resolve()
    status = real.stat()
    return {
        "path": str(real),
        "device": status.st_dev,
        "inode": status.st_ino,
        "size": status.st_size,
        "mtime_ns": status.st_mtime_ns,
        "ctime_ns": status.st_ctime_ns,
    }


def _entry(folder: Path, identity: dict[str, int | str]) -> Path:
    return folder / (hashlib.sha256(str(identity["path"]).encode()).hexdigest() + ".json")


def hub_blob_sha256(path: Path) -> str | None:
    """The hub's sha256 of a Hugging Face cache file: the name of the blob it links to."""
    if not path.is_symlink():
        return None
    target = path.resolve()
    if target.parent.name == "blobs" and _SHA256.match(target.name):
        return target.name
    return None


def cached_sha256(path: Path) -> str | None:
    """The digest recorded for exactly this file state, or None (then read and ``remember``)."""
    folder = cache_folder()
    if folder is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        identity = _identity(path)
        recorded = json.loads(_entry(folder, identity).read_text())
        if {key: recorded.get(key) for key in identity} == identity and _SHA256.match(
            str(recorded.get("sha256"))
        ):
            return str(recorded["sha256"])
    return None


def remember(path: Path, sha256: str, identity: dict[str, int | str]) -> None:
    """Record ``sha256`` for the file state ``identity`` (taken before the file was read)."""
    folder = cache_folder()
    if folder is None:
        return
    with contextlib.suppress(OSError):
        if _identity(path) != identity:
            return  # changed while it was being read: the digest may belong to neither state
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        entry = _entry(folder, identity)
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({**identity, "sha256": sha256}))
        temporary.replace(entry)


def file_identity(path: Path) -> dict[str, int | str]:
    return _identity(path)
