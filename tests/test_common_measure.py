"""common/measure.py: what the three resource readings mean, as every engine reports them."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from llm_lineage.common import measure as measure_module
from llm_lineage.common.measure import Measure, Measurement
from llm_lineage.common.resources import peak_memory_bytes


@dataclass
class _Result:
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None


def _burn(seconds: float) -> None:
    """Spend about ``seconds`` of this process's CPU."""
    until = time.process_time() + seconds
    while time.process_time() < until:
        pass


def test_wall_seconds_are_read_on_the_given_clock() -> None:
    ticks = iter([100.0, 102.5, 104.0])
    measure = Measure(clock=lambda: next(ticks))

    assert measure.read().wall_seconds == 2.5
    assert measure.read().wall_seconds == 4.0  # the clocks keep running after a read


def test_the_default_clock_is_perf_counter() -> None:
    """Extraction and tokenization time on it; training passes time.monotonic."""
    assert inspect.signature(Measure).parameters["clock"].default is time.perf_counter


def test_cpu_seconds_count_this_process_busy_not_waiting() -> None:
    measure = Measure()
    _burn(0.2)
    time.sleep(0.3)

    reading = measure.read()

    assert reading.cpu_seconds >= 0.2
    assert reading.wall_seconds >= 0.5
    assert reading.cpu_seconds < reading.wall_seconds - 0.2  # the sleep is wall time only


def test_cpu_seconds_leave_out_child_processes(tmp_path: Path) -> None:
    script = tmp_path / "burn.py"
    script.write_text(
        "import time\nuntil = time.process_time() + 0.6\nwhile time.process_time() < until:\n"
        "    pass\n"
    )
    measure = Measure()
    subprocess.run([sys.executable, str(script)], check=True)

    reading = measure.read()

    assert reading.wall_seconds >= 0.6
    assert reading.cpu_seconds < 0.3


def test_record_writes_the_readings_onto_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(measure_module, "peak_memory_bytes", lambda: 123_456_789)
    ticks = iter([1.0, 3.5])
    result = _Result()

    measurement = Measure(clock=lambda: next(ticks)).record(result)

    assert isinstance(measurement, Measurement)
    assert result.wall_seconds == measurement.wall_seconds == 2.5
    assert result.cpu_seconds == measurement.cpu_seconds >= 0.0
    assert result.peak_memory_bytes == measurement.peak_memory_bytes == 123_456_789


def test_peak_memory_is_the_process_peak_and_never_below_what_is_held() -> None:
    measure = Measure()
    held = bytearray(64 * 2**20)  # zero-filled pages, touched: resident
    held[::4096] = b"\x01" * len(held[::4096])

    reading = measure.read()

    assert reading.peak_memory_bytes >= len(held)
    assert reading.peak_memory_bytes <= peak_memory_bytes()  # a peak only grows


_PROBE = r"""
import json, subprocess, sys
big = bytearray(int(sys.argv[1]) * 2**20)
big[::4096] = b"\x01" * len(big[::4096])
child = r'''
import json, sys
from llm_lineage.common.resources import PeakMemory, peak_memory_bytes
def mib(n): return n // 2**20
fast, polled = PeakMemory(interval=3600), PeakMemory(interval=0)
found = {"start": mib(fast()), "own": mib(peak_memory_bytes())}
small = bytearray(int(sys.argv[1]) * 2**20); small[::4096] = b"\x01" * len(small[::4096])
found["below_stale"], found["below_polled"] = mib(fast()), mib(polled())
del small
large = bytearray(int(sys.argv[2]) * 2**20); large[::4096] = b"\x01" * len(large[::4096])
found["above"] = mib(fast())
print(json.dumps(found))
'''
print(subprocess.run([sys.executable, "-c", child, sys.argv[2], sys.argv[3]],
                     capture_output=True, text=True, check=True).stdout)
"""


def test_peak_memory_probe_is_this_process_peak_not_its_parents() -> None:
    """A process started by a large one (a reader started by a task) inherits the parent's
    ``ru_maxrss``: the probe reports its own peak, at once once it passes the inherited one,
    and re-read within ``interval`` below it."""
    shown = subprocess.run(
        [sys.executable, "-c", _PROBE, "300", "60", "400"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = json.loads(shown)
    assert found["start"] == found["own"] < 150  # not the parent's 300 MiB
    assert found["below_stale"] == found["start"]  # not re-read within the interval
    assert found["below_polled"] >= found["own"] + 60
    assert found["above"] >= 400  # past the parent's peak: exact, without a re-read
