"""Usage: every dataset's size, last write and last read, and what could be freed.

Four flags, one rule each:

- ``orphaned``: a job wrote it and no job ever read it.
- ``idle``: jobs read it, but none in the last ``idle_days`` days.
- ``redundant``: its current version (a content hash) is another dataset's current version:
  the same content under another name. The copy read last is the one to keep.
- ``superseded``: an older version a job wrote, which no job read after the current version
  was written.

Adapters are a pipeline's product, so they are never idle or orphaned. A manifest is read with
its text (the report reads it for takedown questions), so it is idle or orphaned exactly when
the text its run wrote is. Freeable storage counts each flagged dataset once, and the redundant
ones except the copy to keep; superseded versions are summed apart, because only a store that
keeps old versions (versioned buckets, snapshots) still holds them.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from llm_lineage.events import kinds
from llm_lineage.lineage.naming import DatasetId
from llm_lineage.report.curation import tokens_saved
from llm_lineage.report.graph import Access, History, Lineage
from llm_lineage.report.timeutil import iso

IDLE, ORPHANED, REDUNDANT, SUPERSEDED = "idle", "orphaned", "redundant", "superseded"


@dataclass
class DatasetUsage:
    history: History
    size: int | None
    flags: list[str] = field(default_factory=list)
    copies: list[str] = field(default_factory=list)
    keep: bool = True
    superseded: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        history = self.history
        return {
            "namespace": history.id.namespace,
            "name": history.id.name,
            "uri": history.id.uri,
            "kind": history.kind,
            "version": history.current,
            "versions": len(history.versions()),
            "size": self.size,
            "last_written": _cite(history.writes[-1] if history.writes else None),
            "last_read": _cite(history.reads[-1] if history.reads else None),
            "flags": self.flags,
            "same_content_as": self.copies,
            "keep": self.keep,
            "superseded_versions": self.superseded,
        }


def _cite(access: Access | None) -> dict[str, Any] | None:
    return None if access is None else {**access.run.brief(), "version": access.version}


@dataclass
class UsageReport:
    now: dt.datetime
    idle_days: float
    datasets: list[DatasetUsage]
    curation: list[dict[str, Any]] = field(default_factory=list)
    """Per curated text: documents, characters and (estimated) tokens curation saved."""

    def freeable(self) -> dict[str, int]:
        by_flag = {flag: 0 for flag in (ORPHANED, IDLE, REDUNDANT)}
        current = 0
        for usage in self.datasets:
            size = usage.size or 0
            counted = [flag for flag in usage.flags if flag in by_flag]
            if REDUNDANT in counted and usage.keep:
                counted.remove(REDUNDANT)
            for flag in counted:
                by_flag[flag] += size
            current += size if counted else 0
        superseded = sum(v["size"] or 0 for u in self.datasets for v in u.superseded)
        return {**by_flag, "current_data": current, "superseded_versions": superseded}

    def as_dict(self) -> dict[str, Any]:
        return {
            "now": iso(self.now),
            "idle_days": self.idle_days,
            "datasets": [usage.as_dict() for usage in self.datasets],
            "freeable_bytes": self.freeable(),
            "curation": self.curation,
        }


def usage(lineage: Lineage, now: dt.datetime, idle_days: float) -> UsageReport:
    cutoff = now - dt.timedelta(days=idle_days)
    found = {
        key: DatasetUsage(history, history.size(history.current))
        for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri)
    }
    for entry in found.values():
        entry.flags += _activity_flags(lineage, entry.history, cutoff)
        entry.superseded = _superseded(entry.history)
        if entry.superseded:
            entry.flags.append(SUPERSEDED)
    _mark_redundant(found)
    return UsageReport(now, idle_days, list(found.values()), tokens_saved(lineage))


def _activity_flags(lineage: Lineage, history: History, cutoff: dt.datetime) -> list[str]:
    """Idle or orphaned, by the reads of this dataset (or of its manifest's text)."""
    if history.kind in kinds.PRODUCTS:
        return []
    if history.kind == kinds.MANIFEST and (text := _text_of(lineage, history)) is not None:
        history = text
    if not history.reads:
        return [ORPHANED] if history.writes else []
    return [IDLE] if history.reads[-1].time < cutoff else []


def _text_of(lineage: Lineage, manifest: History) -> History | None:
    """The text written by the run that last wrote this manifest."""
    if not manifest.writes:
        return None
    for seen in manifest.writes[-1].run.outputs:
        history = lineage.datasets.get(seen.id)
        if history is not None and history.kind == kinds.TEXT:
            return history
    return None


def _superseded(history: History) -> list[dict[str, Any]]:
    if not history.writes:
        return []
    current = history.current
    since = history.writes[-1].time  # when the current version last became current
    for access in reversed(history.writes):
        if access.version != current:
            break
        since = access.time
    writes: dict[str | None, list[Access]] = defaultdict(list)
    for access in history.writes:
        writes[access.version].append(access)
    read_since = {access.version for access in history.reads if access.time > since}
    old = []
    for version in history.versions():
        if version == current or version not in writes or version in read_since:
            continue
        written = iso(writes[version][-1].time)
        old.append({"version": version, "size": history.size(version), "written": written})
    return old


def _mark_redundant(found: dict[DatasetId, DatasetUsage]) -> None:
    groups: dict[str, list[DatasetUsage]] = defaultdict(list)
    for entry in found.values():
        if entry.history.current:
            groups[entry.history.current].append(entry)
    for members in groups.values():
        if len({member.history.id for member in members}) < 2:
            continue
        keeper = min(members, key=_keep_order)
        for member in members:
            member.flags.append(REDUNDANT)
            member.keep = member is keeper
            member.copies = sorted(m.history.id.uri for m in members if m is not member)


def _keep_order(entry: DatasetUsage) -> tuple[float, float, str]:
    """The copy to keep sorts first: read last, then written last, then by URI."""
    history = entry.history
    read = history.reads[-1].time.timestamp() if history.reads else float("-inf")
    written = history.writes[-1].time.timestamp() if history.writes else float("-inf")
    return (-read, -written, history.id.uri)
