"""Resource readings that every engine reports."""

from __future__ import annotations

import resource
import sys


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
    if mark is not None:
        return mark
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)
