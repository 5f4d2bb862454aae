"""Staging folders: private to one run, recorded with their owner, swept once provably stale.

An engine writes a step's unit into ``output`` inside a staging folder that this module makes
beside the destination (so the unit can be swapped in: ``swap.py``), or in it, or, for object
stores, in the local temporary folder. The folder holds the owner record (``owner.json``), whose
mtime the heartbeat refreshes, so the next run removes the folders that killed runs left
(``sweep_stale_staging``), and only those ``owner.is_stale`` judges stale.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from llm_lineage.common.progress import LogLike
from llm_lineage.storage.locks import LOCK_NAME
from llm_lineage.storage.owner import Owner, describe, is_stale
from llm_lineage.storage.paths import StoragePath, is_local

STAGING_PREFIX = ".llm-lineage-staging-"
#: In each staging folder: the owner record, refreshed (mtime) by the heartbeat.
OWNER_FILE = "owner.json"
#: In each staging folder: the unit being built, what gets swapped in.
OUTPUT_FOLDER = "output"


def is_own_entry(name: str) -> bool:
    """A lock, a lock being taken over, or a staging folder: ours, never part of an output."""
    return name.startswith(LOCK_NAME) or name.startswith(STAGING_PREFIX)


def staging_places(destination: StoragePath) -> list[Path]:
    """Where this destination's staging folders go, preferred first.

    Local: beside the destination (one file system, so the unit can be swapped in), else in it
    (a mount point, a parent we may not write). Object stores: the local temporary folder.
    """
    if not is_local(destination):
        return [Path(tempfile.gettempdir())]
    folder = Path(destination.path)
    return [folder] if folder.is_mount() else [folder.parent, folder]


@contextmanager
def staging(
    destination: StoragePath, owner: Owner, stale_after: float, logger: LogLike
) -> Iterator[Path]:
    places = staging_places(destination)
    sweep_stale_staging(places, owner.destination, stale_after, logger, is_local(destination))
    folder = create_staging(places, owner)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def create_staging(places: Sequence[Path], owner: Owner) -> Path:
    """This run's staging folder in the first of ``places`` where we may create it."""
    for place in places[:-1]:
        with contextlib.suppress(PermissionError):
            return _make_staging(place, owner)
    return _make_staging(places[-1], owner)


def _make_staging(place: Path, owner: Owner) -> Path:
    folder = place / f"{STAGING_PREFIX}{owner.run_id}"
    folder.mkdir()
    (folder / OWNER_FILE).write_bytes(owner.to_bytes())
    (folder / OUTPUT_FOLDER).mkdir()
    return folder


def sweep_stale_staging(
    places: Iterable[Path],
    destination_uri: str,
    stale_after: float,
    logger: LogLike,
    claim_unrecorded: bool,
) -> list[Path]:
    """Remove the staging folders of ``destination_uri`` that dead or frozen runs left.

    A folder with an owner record is removed when ``is_stale`` says so. One without (left by a
    version before owner records, or killed between creating it and writing the record) is
    removed from the destination's own places (``claim_unrecorded``) once nothing in it changed
    for ``stale_after`` seconds; in the shared temporary folder it is left alone.
    """
    removed = []
    for place in places:
        try:
            entries = [e for e in place.iterdir() if _is_leftover_name(e.name)]
        except OSError:  # not there yet, or not ours to list
            continue
        for entry in entries:
            owner, heartbeat = _staging_owner(entry)
            if owner is not None and owner.destination != destination_uri:
                continue
            if owner is None and not claim_unrecorded:
                continue
            if is_stale(owner, heartbeat, stale_after):
                logger.warning("Removing %s, left by %s", entry, describe(owner))
                _remove(entry)
                removed.append(entry)
    return removed


def _is_leftover_name(name: str) -> bool:
    return name.startswith(STAGING_PREFIX) or name.startswith(f"{LOCK_NAME}.")


def _staging_owner(entry: Path) -> tuple[Owner | None, float]:
    """The owner record and its heartbeat; else None and the last change anywhere inside."""
    record = entry / OWNER_FILE
    try:
        return Owner.from_bytes(record.read_bytes()), record.stat().st_mtime
    except OSError:
        pass
    changes = [_changed(entry)]
    if entry.is_dir() and not entry.is_symlink():
        for root, dirs, files in os.walk(entry):
            changes.extend(_changed(Path(root) / name) for name in dirs + files)
    return None, max(changes)


def _changed(path: Path) -> float:
    try:
        status = path.lstat()
    except OSError:
        return 0.0
    return max(status.st_mtime, status.st_ctime)


def _remove(entry: Path) -> None:
    if entry.is_dir() and not entry.is_symlink():
        shutil.rmtree(entry, ignore_errors=True)
    else:
        entry.unlink(missing_ok=True)
