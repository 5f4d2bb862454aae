"""Events from files: the file transport's output, a folder of event files, or a spool.

The file transport writes JSON lines to one file (``append: true``) or one JSON file per event
named ``<log_file_path>-<time>.json``; a spool keeps one JSON file per event under ``pending/``
and ``dead-letter/``. Every form is read the same way: a file whose first line is a complete JSON
value is JSON lines, streamed; any other file is one JSON document. A line or file that does not
parse is counted and skipped, never fatal: a crashed writer leaves a truncated last line. So is
one nested deeper than the parsers go (about 1,000 levels; ``ranges.py`` says what is done with
values nested less deep but still too deep to use).

Each line is first decoded by ``events.decode`` into an ``Event`` (fast: facets stay unparsed);
only a line that does not fit is parsed by ``json`` and checked field by field in ``runs.py``,
so bad input is skipped and counted exactly as before, and good input never pays for it.
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

import msgspec

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.report.events import Event, decode
from llm_lineage.report.tally import Tally

#: Spool folders that hold complete events (``tmp/`` holds half-written ones).
SPOOL_FOLDERS = ("pending", "dead-letter")
_EVENT_SUFFIXES = (".json", ".jsonl", ".ndjson")


class EventsNotFound(LlmLineageError):
    """The path names no events file, folder or spool."""


def read_events(location: str | os.PathLike[str], tally: Tally) -> Iterator[Event | dict[str, Any]]:
    """Every JSON object in the events at ``location``, in file order: an ``Event`` where the
    fast decoder took it, else the parsed dict."""
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


def _objects(handle: BinaryIO, tally: Tally) -> Iterator[Event | dict[str, Any]]:
    """JSON lines when the first line parses on its own, else one document."""
    first = handle.readline()
    while first and not first.strip():
        first = handle.readline()
    if not first:
        return
    event = _fast(first)
    if event is not None:
        tally.records += 1
        yield event
    else:
        try:
            value = json.loads(first)
        except RecursionError:
            tally.too_deep += 1
            value = None
        except ValueError:
            yield from _records(_whole(first + handle.read(), tally), tally)
            return
        yield from _records(value, tally)
    yield from _lines(handle, tally)


def _fast(line: bytes) -> Event | None:
    """The line as an ``Event``, or None when it needs the slow path. A line that is not UTF-8
    goes there too: msgspec does not check the bytes of what it skips, ``json`` refuses them."""
    try:
        if not line.isascii():
            line.decode()
        return decode(line)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        return None


def _lines(handle: BinaryIO, tally: Tally) -> Iterator[Event | dict[str, Any]]:
    """The lines after the first: each decoded fast, or else parsed by ``json``, or counted."""
    for line in handle:
        try:
            if not line.isascii():
                line.decode()
            event = decode(line)
        except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
            pass
        else:
            tally.records += 1
            yield event
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except RecursionError:
            tally.too_deep += 1
            continue
        except ValueError:
            tally.bad_json += 1
            continue
        yield from _records(value, tally)


def _whole(data: bytes, tally: Tally) -> Any:
    try:
        return json.loads(data)
    except RecursionError:
        tally.too_deep += 1
        return None
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
