"""What every benchmark row shares: timing, the row itself, the machine, the table and JSON.

A row compares ours with a baseline measured in the same run, on the same input, so a noisy
machine moves both; the ratio is what is checked against the target, never a time.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass
class Row:
    """``ratio`` = ours / baseline for sizes, baseline / ours for times (higher is better)."""

    what: str
    ours: str
    baseline: str
    ratio: float
    target: str
    met: bool
    note: str = ""


def best_seconds(action: Callable[[], Any], rounds: int = 3) -> float:
    """The fastest of ``rounds`` runs: the run least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best


def alternating_best(
    ours: Callable[[], Any], baseline: Callable[[], Any], rounds: int = 2, warm: bool = True
) -> tuple[float, float]:
    """The best of ``rounds`` runs of each side, the sides alternating round by round (after
    one untimed run of each when ``warm``), so that a burst of load elsewhere on the machine
    slows both sides' runs rather than all of one side's. Returns (ours, baseline) seconds."""
    if warm:
        baseline()
        ours()
    ours_seconds = baseline_seconds = float("inf")
    for _ in range(rounds):
        ours_seconds = min(ours_seconds, best_seconds(ours, rounds=1))
        baseline_seconds = min(baseline_seconds, best_seconds(baseline, rounds=1))
    return ours_seconds, baseline_seconds


def speed_row(what: str, ours: float, baseline: float, at_least: float, note: str = "") -> Row:
    ratio = baseline / ours
    return Row(
        what,
        f"{ours:.2f} s",
        f"{baseline:.2f} s",
        ratio,
        f">= {at_least:g}x",
        ratio >= at_least,
        note,
    )


def python_in_subprocess(code: str, *args: str, env: dict[str, str] | None = None) -> Any:
    """Run ``code`` in a fresh interpreter (peak memory is per process); it prints one JSON."""
    result = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def machine() -> dict[str, Any]:
    cpu = "unknown"
    with open("/proc/cpuinfo") if Path("/proc/cpuinfo").exists() else open(os.devnull) as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cores": len(os.sched_getaffinity(0)),
        "memory_gib": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def table(rows: list[Row]) -> str:
    headers = ("what", "ours", "baseline", "ratio", "target", "met")
    cells = [
        (r.what, r.ours, r.baseline, f"{r.ratio:.2f}", r.target, "yes" if r.met else "NO")
        for r in rows
    ]
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return "\n".join(lines)


def write_json(path: Path, rows: list[Row], seconds: float) -> None:
    path.write_text(
        json.dumps(
            {"machine": machine(), "seconds": round(seconds, 1), "rows": [asdict(r) for r in rows]},
            indent=2,
        )
        + "\n"
    )
