"""Resource readings that every engine reports."""

from __future__ import annotations

import resource
import sys
import time


def _high_water_mark() -> int | None:
    """Linux: this address space's peak resident set (VmHWM), in bytes."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        return None
    return None


def peak_memory_bytes() -> int:
    """Peak resident memory of this process.

    VmHWM where Linux has it: ``ru_maxrss`` survives ``exec``, so a process started by a large
    one (a reader process started by a test run, a task started by a worker) would report its
    parent's peak. Elsewhere ``ru_maxrss`` (KiB on Linux, bytes on macOS).
    """
    mark = _high_water_mark()
    return mark if mark is not None else _maxrss_bytes()


def _maxrss_bytes() -> int:
    """``ru_maxrss`` in bytes (KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


class PeakMemory:
    """``peak_memory_bytes`` for a loop that asks after every item, at a syscall's cost.

    Reading VmHWM costs tens of microseconds, a fifth of a small document's whole overhead in a
    reader process. ``ru_maxrss`` is one syscall, but after ``exec`` it starts at the peak of
    the process that started this one; once it has grown past that, it is this process's own
    peak, exactly. Below that, VmHWM is read again at most every ``interval`` seconds.
    """

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.inherited = _maxrss_bytes()
        self.last = peak_memory_bytes()
        self.read_at = time.monotonic()

    def __call__(self) -> int:
        own = _maxrss_bytes()
        if own > self.inherited:
            return own
        if time.monotonic() - self.read_at >= self.interval:
            self.last, self.read_at = peak_memory_bytes(), time.monotonic()
        return self.last
