"""Where the lineage comes from: an events path or a Marquez URL, into one ``Lineage``."""

from __future__ import annotations

import os

from llm_lineage.report.files import read_events
from llm_lineage.report.graph import Lineage
from llm_lineage.report.marquez import marquez_events
from llm_lineage.report.runs import fold_runs
from llm_lineage.report.tally import Tally


def from_events(location: str | os.PathLike[str]) -> Lineage:
    tally = Tally()
    return Lineage(fold_runs(read_events(location, tally), tally), tally, os.fspath(location))


def from_marquez(url: str, timeout: float = 30.0) -> Lineage:
    tally = Tally()
    return Lineage(fold_runs(marquez_events(url, tally, timeout), tally), tally, url)
