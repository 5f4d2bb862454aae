"""One publish: lock the destination, stage privately, publish the unit whole, release.

A step's files belong together: a manifest describes the text beside it, an adapter's weights
need their config. A run therefore publishes them as one unit, stamped with one run id, under
the destination's lock (``locks.py``), so two runs never interleave. Local disk: the unit is
swapped in (``swap.py``). Object stores have no multi-object atomicity: files are uploaded one
by one, ``last`` last, under the lock, each carrying the run id in its Parquet footer
(``run_ids.py``).
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.progress import LogLike
from llm_lineage.storage.heartbeat import Heartbeat
from llm_lineage.storage.locks import DestinationLock, lock_file
from llm_lineage.storage.owner import DEFAULT_STALE_AFTER, current_owner
from llm_lineage.storage.paths import StoragePath, is_local
from llm_lineage.storage.run_ids import RUN_ID_KEY
from llm_lineage.storage.staging import OUTPUT_FOLDER, OWNER_FILE, is_own_entry, staging
from llm_lineage.storage.swap import publish_local

log = logging.getLogger(__name__)

Footer = dict[str, str]


def _unmasked(footer: Footer) -> Footer:
    return footer


def foreign_files(destination: StoragePath, allowed: Iterable[str]) -> list[str]:
    """Names in an existing folder that a publish would replace but did not write (ours aside)."""
    if not destination.exists() or not destination.is_dir():
        return []
    names = set(allowed)
    return sorted(
        p.name for p in destination.iterdir() if p.name not in names and not is_own_entry(p.name)
    )


@dataclass(frozen=True)
class Publication:
    """One run's hold on a destination: where to build the unit, and how to publish it."""

    destination: StoragePath
    owned: frozenset[str]
    lock: DestinationLock
    #: Private to this run (downloads, temporary files); ``output`` is inside it.
    scratch: Path
    log: LogLike
    #: What a footer goes through before it is written (the hooks mask Airflow's secrets).
    mask: Callable[[Footer], Footer] = _unmasked

    @property
    def run_id(self) -> str:
        return self.lock.owner.run_id

    @property
    def output(self) -> Path:
        """Where the engine writes the unit: every file in it is published."""
        return self.scratch / OUTPUT_FOLDER

    def stamp(self, footer: Footer) -> Footer:
        """Parquet footer metadata (masked) plus this run's id, so readers can match a unit's
        files: a footer travels with the data, to whoever may read it."""
        return {**self.mask(footer), RUN_ID_KEY: self.run_id}

    def publish(self, last: str | None = None) -> frozenset[str]:
        """Make ``output``'s files the destination's; return the owned names that were there.

        ``last`` is the file readers open first (the text, the adapter config): in a one-by-one
        publish it changes last. Owned names the new unit lacks are removed.
        """
        self.lock.verify()
        names = sorted((p.name for p in self.output.iterdir()), key=lambda n: (n == last, n))
        before = frozenset(n for n in self.owned if (self.destination / n).exists())
        if is_local(self.destination):
            publish_local(self.output, Path(self.destination.path), names, self.owned, self.log)
        else:
            _upload(self.output, self.destination, names)
        for name in sorted(before - set(names)):
            with contextlib.suppress(FileNotFoundError):
                self.destination.fs.rm_file((self.destination / name).path)
        return before


@contextmanager
def publication(
    destination: StoragePath,
    uri: str,
    owned: Iterable[str],
    *,
    label: str | None = None,
    lock_timeout: float = 0.0,
    folder_is_output: bool = False,
    stale_after: float = DEFAULT_STALE_AFTER,
    logger: LogLike = log,
    mask: Callable[[Footer], Footer] = _unmasked,
) -> Iterator[Publication]:
    """Lock ``destination`` (named ``uri``), clean what killed runs left, and stage this run.

    ``owned``: the names this step publishes. ``label`` names the run in a busy destination's
    message. ``lock_timeout``: seconds to wait for another run to finish, 0 to fail at once.
    ``folder_is_output`` (the adapter): the folder itself is the output, so a run that created
    it and published nothing removes it again.
    """
    if not lock_timeout >= 0:
        raise ConfigError(f"lock_timeout must be >= 0 seconds, got {lock_timeout!r}")
    me = current_owner(uuid.uuid4().hex, uri, label)
    created = _make_folder(destination)
    lock = DestinationLock(lock_file(destination, uri), me, stale_after, logger)
    try:
        lock.acquire(lock_timeout)
        try:
            with staging(destination, me, stale_after, logger) as scratch:
                beat = _Beat(lock, scratch / OWNER_FILE)
                with Heartbeat(stale_after / 4, beat, logger):
                    yield Publication(destination, frozenset(owned), lock, scratch, logger, mask)
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


def _make_folder(destination: StoragePath) -> bool:
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


def _upload(staged: Path, destination: StoragePath, names: Sequence[str]) -> None:
    destination.fs.makedirs(destination.path, exist_ok=True)
    for name in names:
        destination.fs.put_file(str(staged / name), (destination / name).path)
