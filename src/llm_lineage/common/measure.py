"""Wall time, CPU time and peak memory of one engine run, read the same way by every engine.

The three readings land in the ``llmLineage_resourceUsage`` facet, so a run of one step and a
run of another must mean the same thing by them; reading them here, in one place, keeps it so.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from llm_lineage.common.resources import peak_memory_bytes


class Measured(Protocol):
    """A result that reports the readings: every engine's result dataclass has these fields."""

    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int | None


@dataclass(frozen=True)
class Measurement:
    """The readings of a run, from its start to when they were read.

    ``wall_seconds``: elapsed time on the measure's clock. ``cpu_seconds``: user and system CPU
    of this process (all its threads) from ``time.process_time``; child processes, such as the
    extraction reader processes, are not in it. ``peak_memory_bytes``: this process's peak
    resident memory since it started (``peak_memory_bytes()``), not only during the run.
    """

    wall_seconds: float
    cpu_seconds: float
    peak_memory_bytes: int


class Measure:
    """Starts the clocks when created; ``read`` reads them, ``record`` writes them on a result.

    ``clock`` is ``time.perf_counter`` unless given. Training passes ``time.monotonic``, the
    clock its ``train_seconds`` is read on, so that training time never exceeds wall time.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._wall_started = clock()
        self._cpu_started = time.process_time()

    def read(self) -> Measurement:
        """The readings since the measure was created."""
        return Measurement(
            wall_seconds=self._clock() - self._wall_started,
            cpu_seconds=time.process_time() - self._cpu_started,
            peak_memory_bytes=peak_memory_bytes(),
        )

    def record(self, result: Measured) -> Measurement:
        """Read, and write the readings onto ``result`` (in ``finally``: failed runs report too)."""
        measurement = self.read()
        result.wall_seconds = measurement.wall_seconds
        result.cpu_seconds = measurement.cpu_seconds
        result.peak_memory_bytes = measurement.peak_memory_bytes
        return measurement
