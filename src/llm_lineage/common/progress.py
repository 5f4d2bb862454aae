"""Progress lines for long work: done, total, rate and time left, at a steady interval.

Engine code reports every item; this class decides when a line is worth logging so that a
task log shows one line every ``interval`` seconds whatever the speed of the work.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, Protocol


class LogLike(Protocol):
    """The part of a logger the engines use: stdlib loggers and Airflow's structlog both fit."""

    def info(self, msg: Any, /, *args: Any) -> Any: ...

    def warning(self, msg: Any, /, *args: Any) -> Any: ...


def _format_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{secs:02d}s"
    return f"{secs}s"


class ProgressReporter:
    """Log ``label: done/total (pct), rate unit/s, ETA`` at most once per ``interval`` seconds.

    ``detail`` adds the step's own figures to each line (e.g. loss and tokens per second).
    """

    def __init__(
        self,
        label: str,
        total: int,
        unit: str,
        logger: LogLike | None = None,
        interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        detail: Callable[[], str] | None = None,
    ) -> None:
        self.label = label
        self.total = total
        self.unit = unit
        self.interval = interval
        self._log: LogLike = logger or logging.getLogger(__name__)
        self._clock = clock
        self._detail = detail
        self._started = clock()
        self._last = self._started
        self.done = 0

    def advance(self, count: int = 1) -> None:
        """Count finished items; log a line when the interval has passed."""
        self.done += count
        now = self._clock()
        if now - self._last >= self.interval:
            self._last = now
            self._log.info("%s", self.line(now))

    def finish(self) -> None:
        """Log the closing line, whatever the interval."""
        self._log.info("%s", self.line(self._clock()))

    def line(self, now: float) -> str:
        elapsed = max(now - self._started, 1e-9)
        rate = self.done / elapsed
        percent = 100.0 * self.done / self.total if self.total else 100.0
        remaining = (self.total - self.done) / rate if rate > 0 else 0.0
        line = (
            f"{self.label}: {self.done}/{self.total} {self.unit} ({percent:.1f}%), "
            f"{rate:.1f} {self.unit}/s, elapsed {_format_seconds(elapsed)}, "
            f"time left {_format_seconds(remaining)}"
        )
        return f"{line}, {self._detail()}" if self._detail else line
