"""Events from files: the file transport's output, a folder of event files, or a spool.

The file transport writes JSON lines to one file (``append: true``) or one JSON file per event
named ``<log_file_path>-<time>.json``; a spool keeps one JSON file per event under ``pending/``
and ``dead-letter/``. Every form is read the same way: a file whose first line is a complete JSON
value is JSON lines, streamed; any other file is one JSON document. A line or file that does not
parse is counted and skipped, never fatal: a crashed writer leaves a truncated last line.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from llm_lineage.report.tally import Tally

#: Spool folders that hold complete events (``tmp/`` holds half-written ones).
SPOOL_FOLDERS = ("pending", "dead-letter")
_EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson")


class EventsNotFound(Exception):
    """The path names no events file, folder or spool."""


def read_events(location: str | os.PathLike[str], tally: Tally) -> Iterator[dict[str, Any]]:
    """Every JSON object in the events at ``location``, in file order."""
    for path in event_files(Path(location)):
        try:
            with path.open("rb") as handle:
                yield from _objects(handle, tally)
        except OSError:
            tally.unreadable_files += 1


def event_files(location: Path) -> list[Path]:
    """The files to read: the file itself, a spool's events, a folder's event files, or the
    timestamped files of a file transport whose ``log_file_path`` is ``location``."""
    if location.is_file():
        return [location]
    if location.is_dir():
        spool = [location / name for name in SPOOL_FOLDERS if (location / name).is_dir()]
        if spool:
            return [path for folder in spool for path in sorted(folder.glob("*.json"))]
        return sorted(path for path in location.rglob("*") if _is_event_file(path))
    pattern = glob.escape(str(location)) + "-*.json"
    timestamped = sorted(Path(path) for path in glob.glob(pattern))  # noqa: PTH207
    if not timestamped:
        raise EventsNotFound(f"no events file, folder or spool at {location}")
    return timestamped


def _is_event_file(path: Path) -> bool:
    name = path.name
    return (
        not name.startswith(".")
        and (name.endswith(_EVENT_SUFFIXES) or ".json" in name)
        and path.is_file()
    )


def _objects(handle: BinaryIO, tally: Tally) -> Iterator[dict[str, Any]]:
    """JSON lines when the first line parses on its own, else one document."""
    first = handle.readline()
    while first and not first.strip():
        first = handle.readline()
    if not first:
        return
    try:
        value = json.loads(first)
    except ValueError:
        value = _whole(first + handle.read(), tally)
        yield from _records(value, tally)
        return
    yield from _records(value, tally)
    for line in handle:
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            tally.bad_json += 1
            continue
        yield from _records(value, tally)


def _whole(data: bytes, tally: Tally) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        tally.bad_json += 1
        return None


def _records(value: Any, tally: Tally) -> Iterator[dict[str, Any]]:
    """An object is one record; an array (some tools dump those) is one record per item."""
    if value is None:
        return
    for item in value if isinstance(value, list) else [value]:
        tally.records += 1
        if isinstance(item, dict):
            yield item
        else:
            tally.not_run_events += 1
