"""Where the lineage comes from: an events path or a Marquez URL, into one ``Lineage``."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager

from llm_lineage.report.files import read_events
from llm_lineage.report.graph import Lineage
from llm_lineage.report.marquez import MAX_TIME, marquez_events
from llm_lineage.report.ranges import counting
from llm_lineage.report.runs import fold_runs
from llm_lineage.report.tally import Tally


@contextmanager
def paused_gc() -> Iterator[None]:
    """Run the body with Python's cycle collector off, then restore it as it was.

    The report builds millions of small objects (events, facets, runs, accesses) that form no
    reference cycles, so the collector frees nothing, but it walks all of them each time
    allocations pass its threshold: on 100,000 events that was as much time as the work
    itself. Reference counting still frees everything as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def from_events(location: str | os.PathLike[str]) -> Lineage:
    tally = Tally()
    with paused_gc(), counting(tally):
        return Lineage(fold_runs(read_events(location, tally), tally), tally, os.fspath(location))


def from_marquez(url: str, timeout: float = 30.0, max_time: float = MAX_TIME) -> Lineage:
    tally = Tally()
    with paused_gc(), counting(tally):
        events = marquez_events(url, tally, timeout, max_time)
        return Lineage(fold_runs(events, tally), tally, url)
