"""What may stand in ``pending/``: event files the spool wrote, read without trusting them.

Anything else there (a file another program put down, ``null``, ``[]``, ``1e999``, nesting a
hundred thousand levels deep, bytes that are not JSON, a folder, a link) is a *poison file*:
reading it raises ``PoisonFile`` with the reason, and the forwarder moves it to
``dead-letter/`` instead of crashing on it at every run.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat
from pathlib import Path
from typing import Any

from llm_lineage.common.errors import LlmLineageError

#: The names the spool gives its files: spool time in ns, writer pid, per-process counter.
SPOOL_NAME = re.compile(r"^(\d{20})-(\d{7,})-(\d{6,})\.json$")

#: An event file larger than this is not one of ours (events are bounded to 192 KiB).
MAX_EVENT_FILE_BYTES = 64 << 20


class PoisonFile(LlmLineageError, ValueError):
    """A file in ``pending/`` that is not an event the spool wrote; the message says why."""


def is_spool_name(name: str) -> bool:
    return SPOOL_NAME.match(name) is not None


def spooled_ns(name: str) -> int | None:
    """When a file of that name was spooled (ns since the epoch), None for a foreign name."""
    match = SPOOL_NAME.match(name)
    return int(match.group(1)) if match else None


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise PoisonFile(f"number {text[:40]} is out of range")
    return number


def _constant(name: str) -> Any:
    raise PoisonFile(f"{name} is not JSON")


def read_event(path: Path) -> dict[str, Any]:
    """The event in ``path``; ``PoisonFile`` when it is not a regular, sane event file.

    ``FileNotFoundError`` passes through (another process took the file meanwhile).
    """
    descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise PoisonFile("not a regular file")
        if info.st_size > MAX_EVENT_FILE_BYTES:
            raise PoisonFile(f"{info.st_size} bytes, more than any event")
        with os.fdopen(os.dup(descriptor), "rb") as handle:
            data = handle.read(MAX_EVENT_FILE_BYTES + 1)
    finally:
        os.close(descriptor)
    return parse_event(data)


def parse_event(data: bytes) -> dict[str, Any]:
    try:
        event = json.loads(data, parse_float=_finite, parse_constant=_constant)
    except RecursionError:
        raise PoisonFile("JSON nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise PoisonFile(f"not JSON ({str(error)[:200]})") from None
    problem = _shape_problem(event)
    if problem:
        raise PoisonFile(problem)
    return event


def _shape_problem(event: Any) -> str | None:
    if not isinstance(event, dict):
        return f"JSON {type(event).__name__}, not an event object"
    if not isinstance(event.get("eventTime"), str):
        return "no eventTime: not an OpenLineage event"
    parts = [event.get(key) for key in ("run", "job", "dataset") if key in event]
    if not parts or not all(isinstance(part, dict) for part in parts):
        return "no run, job or dataset object: not an OpenLineage event"
    return None


def event_summary(event: dict[str, Any]) -> str:
    """What a log line may say about an event: type, job and run id, never facets or data names."""
    job = _dict(event.get("job"))
    run = _dict(event.get("run"))
    kind = event.get("eventType") or ("DATASET" if "dataset" in event else "JOB")
    return (
        f"{_short(kind)} of {_short(job.get('namespace', '?'))}/{_short(job.get('name', '?'))} "
        f"run {_short(run.get('runId', '-'))}"
    )


def run_key(event: dict[str, Any]) -> str:
    """Events that must reach the backend in spool order share a key: a run, else a job."""
    run = _dict(event.get("run"))
    if "runId" in run:
        return f"run {run['runId']}"
    job = _dict(event.get("job"))
    if job:
        return f"job {job.get('namespace')}/{job.get('name')}"
    dataset = _dict(event.get("dataset"))
    return f"dataset {dataset.get('namespace')}/{dataset.get('name')}"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _short(value: Any) -> str:
    return str(value)[:200]
