"""The lineage as an index: for each dataset, who wrote and read which version, and when.

Built once from the runs. A write is an output of a COMPLETE run; a read is an input of any
run, finished or not, since a running or failed job still read its data. ``producer`` is the
question every trace step asks: which run wrote this version, last before a given time.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import pairwise
from typing import Any, NamedTuple

from llm_lineage.events import keys
from llm_lineage.lineage.naming import DatasetId, dataset_id
from llm_lineage.report.facets import integer, number
from llm_lineage.report.kinds import kind_of
from llm_lineage.report.model import Run, Seen
from llm_lineage.report.tally import Tally

OUTPUT_SIZE = keys.OUTPUT_STATISTICS.field("size")
INPUT_SIZE = keys.INPUT_STATISTICS.field("size")
COLLECTION_BYTES = keys.COLLECTION.field("totalBytes")


class Access(NamedTuple):
    """One run's read or write of one dataset, with the two things every question sorts and
    filters accesses by, copied out: when (the run's end) and which version. A named tuple,
    for speed: an index holds one per dataset per run, and its fields are read in C."""

    run: Run
    seen: Seen
    time: dt.datetime
    version: str | None


@dataclass
class History:
    """Every access to one dataset, in time order."""

    id: DatasetId
    writes: list[Access] = field(default_factory=list)
    reads: list[Access] = field(default_factory=list)

    @property
    def current(self) -> str | None:
        """The version last written, or for a dataset no job writes, the one last read."""
        for accesses in (self.writes, self.reads):
            for access in reversed(accesses):
                if access.version:
                    return access.version
        return None

    def versions(self) -> list[str]:
        """Every version seen, in the order first seen."""
        seen = (a.version for a in sorted([*self.writes, *self.reads], key=lambda a: a.time))
        return list(dict.fromkeys(version for version in seen if version))

    def facets(self, version: str | None = None) -> dict[str, Any]:
        """Facets merged over the accesses of ``version`` (all when None): reads first, then
        writes, so what the writer reported wins."""
        merged: dict[str, Any] = {}
        for access in [*self.reads, *self.writes]:
            if version is None or access.version == version:
                merged.update(access.seen.facets)
        return merged

    def written(self, version: str | None) -> tuple[list[dt.datetime], list[Access]] | None:
        """The writes of ``version`` (all when None) and their times, in time order, for
        ``Lineage.producer`` to bisect; None when the writes are not in time order."""
        index = self._written
        return None if index is None else index.get(version, ([], []))

    @cached_property
    def _written(self) -> dict[str | None, tuple[list[dt.datetime], list[Access]]] | None:
        times = [access.time for access in self.writes]
        if any(later < earlier for earlier, later in pairwise(times)):
            return None
        index: dict[str | None, tuple[list[dt.datetime], list[Access]]] = {
            None: (times, self.writes)
        }
        for when, access in zip(times, self.writes, strict=True):
            if access.version is not None:
                found = index.setdefault(access.version, ([], []))
                found[0].append(when)
                found[1].append(access)
        return index

    @cached_property
    def kind(self) -> str:
        return kind_of(self.facets(), self.id.name)

    def size(self, version: str | None) -> int | None:
        """Bytes of ``version``: the writer's output statistics, else a reader's input
        statistics, else a document collection's total."""
        for accesses, key in ((self.writes, OUTPUT_SIZE), (self.reads, INPUT_SIZE)):
            for access in reversed(accesses):
                if (
                    access.version == version
                    and (found := integer(access.seen.io, *key.keys)) is not None
                ):
                    return found
        total = number(self.facets(version), *COLLECTION_BYTES.keys)
        return None if total is None else int(total)


class Lineage:
    """Runs and the per-dataset index over them, plus what was skipped on the way in."""

    def __init__(self, runs: Iterable[Run], tally: Tally, source: str) -> None:
        self.runs = list(runs)
        self.tally = tally
        self.source = source
        self.datasets: dict[DatasetId, History] = {}
        for run in self.runs:
            for seen in run.inputs:
                self._history(seen.id).reads.append(Access(run, seen, run.ended, seen.version))
            if run.state == "COMPLETE":
                for seen in run.outputs:
                    self._history(seen.id).writes.append(Access(run, seen, run.ended, seen.version))

    def _history(self, key: DatasetId) -> History:
        history = self.datasets.get(key)
        if history is None:
            history = self.datasets[key] = History(key)
        return history

    def producer(
        self, key: DatasetId, version: str | None, before: dt.datetime | None = None
    ) -> Access | None:
        """The last write of ``version`` (any version when None) at or before ``before``: a
        bisection of the dataset's writes of that version (each trace step and each adapter's
        cost asks this, and a dataset rewritten daily has thousands of writes)."""
        history = self.datasets.get(key)
        written = history.written(version) if history else None
        if written is not None:
            times, accesses = written
            found = len(times) if before is None else bisect_right(times, before)
            return accesses[found - 1] if found else None
        for access in reversed(history.writes if history else []):
            if (version is None or access.version == version) and (
                before is None or access.time <= before
            ):
                return access
        return None

    def find(self, text: str) -> DatasetId | None:
        """A dataset by URI, path or name: exact id first, then a unique name in any namespace."""
        candidates = [dataset_id(text)] if text else []
        if "://" not in text and not text.startswith("/"):
            candidates.append(DatasetId("file", text))
        for candidate in candidates:
            if candidate in self.datasets:
                return candidate
        named = [key for key in self.datasets if key.name == text or key.uri == text]
        return named[0] if len(named) == 1 else None

    def runs_by_id(self) -> Mapping[str, Run]:
        return {run.run_id: run for run in self.runs}
