"""The spool's two speed claims, measured against a baseline in the same run.

1. ``emit`` does not grow with the backlog: the median ``SpoolTransport.emit`` with 0, 10,000
   and 100,000 events pending, beside what sizing the spool by scanning both folders (what
   every emit did before the counter) costs at the same backlog.
2. The forwarder drains a flaky backend at its success rate: 1,000 events (500 runs) through
   the HTTP transport to the Marquez-like server of the tests, healthy and then failing 25% of
   requests at random with 503; the ratio of the two times against 1 / 0.75.

    PYTHONPATH=src:tests .venv/bin/python benchmarks/spool_speed.py [--backlog 100000]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lineage_servers import FakeMarquez
from llm_lineage.transports.forwarder import forward
from spool_fixtures import make_event, spool_transport


def _scan_size(folder: Path) -> int:
    total = 0
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(folder):
            total += entry.stat().st_size
    return total


def emit_at_backlog(root: Path, backlog: int) -> tuple[float, float]:
    """Median emit (ms) with ``backlog`` events pending, and one size-by-scan (ms) beside it."""
    transport = spool_transport(root / f"spool-{backlog}", "http://127.0.0.1:9")
    transport.emit(make_event("t", "START"))
    body = (transport.spool.waiting()[0]).read_bytes()
    for number in range(backlog):
        (transport.spool.pending / f"{number + 1:020d}-0000001-{number:06d}.json").write_bytes(body)
    transport.spool.usage.recount()
    times = []
    for _ in range(30):
        started = time.perf_counter()
        transport.emit(make_event("t", "START"))
        times.append(time.perf_counter() - started)
    started = time.perf_counter()
    _scan_size(transport.spool.pending) + _scan_size(transport.spool.dead_letter)
    scan = time.perf_counter() - started
    return statistics.median(times) * 1000, scan * 1000


def drain(root: Path, fail_ratio: float, events: int = 1000) -> tuple[float, int]:
    backend = FakeMarquez().start()
    backend.faults.fail_ratio = fail_ratio
    transport = spool_transport(root / f"drain-{fail_ratio}", backend.url)
    for number in range(events // 2):
        run_id = str(uuid.uuid4())
        transport.emit(make_event(f"j{number}", "START", run_id))
        transport.emit(make_event(f"j{number}", "COMPLETE", run_id))
    started = time.monotonic()
    result = forward(transport.spool, transport.inner, window_seconds=120, lock_wait=0)
    elapsed = time.monotonic() - started
    backend.stop()
    assert result is not None and result.pending == 0 and result.delivered == events
    return elapsed, len(backend.received)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--backlog", type=int, default=100_000)
    arguments = parser.parse_args()
    import logging

    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for backlog in sorted({0, arguments.backlog // 10, arguments.backlog}):
            emit_ms, scan_ms = emit_at_backlog(root, backlog)
            print(
                f"backlog {backlog:>7,}: emit {emit_ms:6.2f} ms; one size-by-scan {scan_ms:8.1f} ms"
            )
        healthy, _ = drain(root, 0.0)
        flaky, requests = drain(root, 0.25)
        print(
            f"drain 1,000 events: healthy {healthy:.1f} s, 25% 503 {flaky:.1f} s "
            f"({requests} requests); ratio {flaky / healthy:.2f} (1 / 0.75 = 1.33)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
