"""Progress lines (common/progress.py): when ProgressReporter logs, and what a line says."""

from __future__ import annotations

from extraction_fixtures import ListLogger
from llm_lineage.common.progress import ProgressReporter


class FakeClock:
    """A clock that stands still until the test moves ``now``."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_progress_logs_at_the_interval_with_rate_and_time_left() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 100, "documents", logger, interval=10, clock=clock)

    for second in range(1, 26):
        clock.now = float(second)
        progress.advance()
    progress.finish()

    assert logger.infos == [
        "Extracted: 10/100 documents (10.0%), 1.0 documents/s, elapsed 10s, time left 1m30s",
        "Extracted: 20/100 documents (20.0%), 1.0 documents/s, elapsed 20s, time left 1m20s",
        "Extracted: 25/100 documents (25.0%), 1.0 documents/s, elapsed 25s, time left 1m15s",
    ]


def test_progress_interval_counts_from_the_last_line_not_a_grid() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Read", 1000, "files", logger, interval=10, clock=clock)

    logged_at = []
    for now in (0.5, 3.0, 9.99, 11.0, 15.0, 20.9, 21.0, 29.0, 40.0):
        clock.now = now
        before = len(logger.infos)
        progress.advance(10)
        if len(logger.infos) > before:
            logged_at.append(now)

    assert logged_at == [11.0, 21.0, 40.0]
    assert logger.infos[0] == (
        "Read: 40/1000 files (4.0%), 3.6 files/s, elapsed 11s, time left 4m24s"
    )


def test_progress_many_fast_items_log_nothing_until_the_interval() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 10_000, "documents", logger, interval=10, clock=clock)

    for step in range(1000):
        clock.now = step * 0.009  # 1000 items in 9 seconds
        progress.advance()
    assert logger.infos == []

    clock.now = 10.0
    progress.advance()
    assert logger.infos == [
        "Extracted: 1001/10000 documents (10.0%), 100.1 documents/s, elapsed 10s, time left 1m30s"
    ]


def test_progress_time_left_in_hours() -> None:
    clock, logger = FakeClock(), ListLogger()
    progress = ProgressReporter("Extracted", 10_000, "documents", logger, interval=5, clock=clock)

    clock.now = 10.0
    progress.advance(10)

    assert logger.infos == [
        "Extracted: 10/10000 documents (0.1%), 1.0 documents/s, elapsed 10s, time left 2h46m"
    ]
