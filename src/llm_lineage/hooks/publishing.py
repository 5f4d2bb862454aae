"""Publishing a step's output as one unit: lock, private staging, swap or ordered upload, run id.

A step's files belong together: a manifest describes the text beside it, an adapter's weights
need their config. A run therefore publishes them as one unit, stamped with one run id, and
under the destination's lock (``hooks/locking.py``), so two runs never interleave.

- Local disk: the unit is staged in a folder beside the destination and swapped in with one
  ``renameat2(RENAME_EXCHANGE)``, when the destination holds only this step's files. At every
  instant the destination holds the old unit or the new one, and the documented paths
  (``destination/text.parquet``) stay plain files. Where there is no atomic exchange (not
  Linux, NFS, a mount point, a read-only parent, other files in the folder), the files are
  renamed one by one, ``last`` last: for that instant the run ids in the footers tell the mix.
- Object stores have no multi-object atomicity: files are uploaded one by one, ``last`` last,
  under the lock, each carrying the run id in its Parquet footer; ``check_one_run`` is how a
  reader tells a mixed unit (an upload in progress or interrupted).

Staging folders record their owner, so the next run removes those that killed runs left
(``sweep_stale_staging``), and only those that are provably stale (``locking.is_stale``).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import logging
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.progress import LogLike
from llm_lineage.hooks.locking import (
    DEFAULT_STALE_AFTER,
    LOCK_NAME,
    DestinationLock,
    Heartbeat,
    LocalLockFile,
    LockFile,
    ObjectLockFile,
    Owner,
    current_owner,
    describe,
    is_stale,
)
from llm_lineage.hooks.masking import masked_footer
from llm_lineage.hooks.storage import is_local, location_uri

log = logging.getLogger(__name__)

#: Parquet footer key: the run that wrote the file. Files of one unit carry the same value.
RUN_ID_KEY = "llm_lineage.run_id"
STAGING_PREFIX = ".llm-lineage-staging-"
#: In each staging folder: the owner record, refreshed (mtime) by the heartbeat.
OWNER_FILE = "owner.json"
#: In each staging folder: the unit being built, what gets swapped in.
OUTPUT_FOLDER = "output"


class MixedOutput(LlmLineageError, ValueError):
    """Files of one unit carry different run ids: a publish is in progress or was interrupted."""


def is_own_entry(name: str) -> bool:
    """A lock, a lock being taken over, or a staging folder: ours, never part of an output."""
    return name.startswith(LOCK_NAME) or name.startswith(STAGING_PREFIX)


def foreign_files(destination: ObjectStoragePath, allowed: Iterable[str]) -> list[str]:
    """Names in an existing folder that a publish would replace but did not write (ours aside)."""
    if not destination.exists() or not destination.is_dir():
        return []
    names = set(allowed)
    return sorted(
        p.name for p in destination.iterdir() if p.name not in names and not is_own_entry(p.name)
    )


def task_owner() -> str | None:
    """The Airflow task instance running this code, so a busy destination names it."""
    try:
        from airflow.sdk import get_current_context

        ti = get_current_context()["ti"]
    except Exception:  # not in a task (a script, a test): host and pid name the run
        return None
    label = f"dag_id={ti.dag_id} task_id={ti.task_id} run_id={ti.run_id} try={ti.try_number}"
    map_index = getattr(ti, "map_index", None)
    return (
        f"{label} map_index={map_index}" if isinstance(map_index, int) and map_index >= 0 else label
    )


@dataclass(frozen=True)
class Publication:
    """One run's hold on a destination: where to build the unit, and how to publish it."""

    destination: ObjectStoragePath
    owned: frozenset[str]
    lock: DestinationLock
    #: Private to this run (downloads, temporary files); ``output`` is inside it.
    scratch: Path
    log: LogLike

    @property
    def run_id(self) -> str:
        return self.lock.owner.run_id

    @property
    def output(self) -> Path:
        """Where the engine writes the unit: every file in it is published."""
        return self.scratch / OUTPUT_FOLDER

    def stamp(self, footer: dict[str, str]) -> dict[str, str]:
        """Parquet footer metadata plus this run's id, so readers can match a unit's files.

        Values Airflow knows as secrets are masked (``hooks/masking.py``): a footer travels
        with the data, to whoever may read it.
        """
        return {**masked_footer(footer), RUN_ID_KEY: self.run_id}

    def publish(self, last: str | None = None) -> frozenset[str]:
        """Make ``output``'s files the destination's; return the owned names that were there.

        ``last`` is the file readers open first (the text, the adapter config): in a one-by-one
        publish it changes last. Owned names the new unit lacks are removed.
        """
        self.lock.verify()
        names = sorted((p.name for p in self.output.iterdir()), key=lambda n: (n == last, n))
        before = frozenset(n for n in self.owned if (self.destination / n).exists())
        if is_local(self.destination):
            _publish_local(self.output, Path(self.destination.path), names, self.owned, self.log)
        else:
            _upload(self.output, self.destination, names)
        for name in sorted(before - set(names)):
            with contextlib.suppress(FileNotFoundError):
                self.destination.fs.rm_file((self.destination / name).path)
        return before


@contextmanager
def publication(
    destination: ObjectStoragePath,
    owned: Iterable[str],
    *,
    owner: str | None = None,
    lock_timeout: float = 0.0,
    folder_is_output: bool = False,
    stale_after: float = DEFAULT_STALE_AFTER,
    logger: LogLike = log,
) -> Iterator[Publication]:
    """Lock ``destination``, clean what killed runs left, and give this run a staging folder.

    ``owned``: the names this step publishes. ``owner`` names the run in a busy destination's
    message (default: the Airflow task instance). ``lock_timeout``: seconds to wait for another
    run to finish, 0 to fail at once. ``folder_is_output`` (the adapter): the folder itself is
    the output, so a run that created it and published nothing removes it again.
    """
    if not lock_timeout >= 0:
        raise ValueError(f"lock_timeout must be >= 0 seconds, got {lock_timeout!r}")
    uri = location_uri(destination)
    me = current_owner(uuid.uuid4().hex, uri, owner or task_owner())
    created = _make_folder(destination)
    lock = DestinationLock(_lock_file(destination, uri), me, stale_after, logger)
    try:
        lock.acquire(lock_timeout)
        try:
            with _staging(destination, me, stale_after, logger) as scratch:
                beat = _Beat(lock, scratch / OWNER_FILE)
                with Heartbeat(stale_after / 4, beat, logger):
                    yield Publication(destination, frozenset(owned), lock, scratch, logger)
        finally:
            lock.release()
    finally:
        if created and folder_is_output:
            with contextlib.suppress(OSError):  # not empty: it holds the output
                Path(destination.path).rmdir()


@dataclass(frozen=True)
class _Beat:
    """One heartbeat: the lock, then the staging folder's owner record."""

    lock: DestinationLock
    record: Path

    def __call__(self) -> None:
        self.lock.refresh()
        os.utime(self.record)


def _lock_file(destination: ObjectStoragePath, uri: str) -> LockFile:
    lock_uri = f"{uri}/{LOCK_NAME}"
    if is_local(destination):
        return LocalLockFile(Path(destination.path) / LOCK_NAME, lock_uri)
    return ObjectLockFile(destination / LOCK_NAME, lock_uri)


def _make_folder(destination: ObjectStoragePath) -> bool:
    """Create the destination (it holds the lock); True when this call created it."""
    if not is_local(destination):
        destination.fs.makedirs(destination.path, exist_ok=True)
        return False
    folder = Path(destination.path)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        return False
    return True


def staging_places(destination: ObjectStoragePath) -> list[Path]:
    """Where this destination's staging folders go, preferred first.

    Local: beside the destination (one file system, so the unit can be swapped in), else in it
    (a mount point, a parent we may not write). Object stores: the local temporary folder.
    """
    if not is_local(destination):
        return [Path(tempfile.gettempdir())]
    folder = Path(destination.path)
    return [folder] if folder.is_mount() else [folder.parent, folder]


@contextmanager
def _staging(
    destination: ObjectStoragePath, owner: Owner, stale_after: float, logger: LogLike
) -> Iterator[Path]:
    places = staging_places(destination)
    sweep_stale_staging(places, owner.destination, stale_after, logger, is_local(destination))
    folder = _create_staging(places, owner)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _create_staging(places: Sequence[Path], owner: Owner) -> Path:
    for place in places:
        folder = place / f"{STAGING_PREFIX}{owner.run_id}"
        try:
            folder.mkdir()
        except PermissionError:
            if place is places[-1]:
                raise
            continue
        (folder / OWNER_FILE).write_bytes(owner.to_bytes())
        (folder / OUTPUT_FOLDER).mkdir()
        return folder
    raise AssertionError("staging_places is never empty")


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


def _publish_local(
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


def _upload(staged: Path, destination: ObjectStoragePath, names: Sequence[str]) -> None:
    destination.fs.makedirs(destination.path, exist_ok=True)
    for name in names:
        destination.fs.put_file(str(staged / name), (destination / name).path)


def footer_run_id(path: ObjectStoragePath) -> str | None:
    """The run id in a Parquet file's footer; None for files from before run ids, or not ours."""
    try:
        with path.fs.open(path.path, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata.metadata or {}
    except (pa.ArrowInvalid, OSError):
        return None
    value = metadata.get(RUN_ID_KEY.encode())
    return value.decode() if value else None


def check_one_run(folder: ObjectStoragePath, names: Sequence[str]) -> None:
    """Raise MixedOutput when the named Parquet files in ``folder`` carry different run ids."""
    runs = {}
    for name in names:
        path = folder / name
        if path.is_file() and (run := footer_run_id(path)):
            runs[name] = run
    if len(set(runs.values())) <= 1:
        return
    uri = location_uri(folder)
    files = " and ".join(f"{name} (run {run})" for name, run in runs.items())
    seen = _lock_file(folder, uri).read()
    if seen is not None:
        why = f"{describe(seen.owner)} is publishing into it now; retry when it ends"
    else:
        why = "a publish was interrupted or files were copied in; rerun the step that writes it"
    raise MixedOutput(f"{files} in {uri} were written by different runs: {why}")
