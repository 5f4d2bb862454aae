"""The report's model of lineage: runs, and the datasets each one read and wrote.

Every source (files, spool, Marquez) is turned into these, so every answer is computed once.
Facets stay the plain dicts the events carried; ``facets.py`` reads them defensively.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from llm_lineage.lineage.naming import DatasetId
from llm_lineage.report.timeutil import iso

#: Run states, as OpenLineage names the event that ended them.
TERMINAL = ("COMPLETE", "FAIL", "ABORT")


class Seen(NamedTuple):
    """A dataset as one run saw it: its version then, its facets, and the run's own facets of it
    (``inputFacets`` or ``outputFacets``). A named tuple: immutable, and the cheapest object
    to make, which matters at one per dataset per run."""

    id: DatasetId
    version: str | None
    facets: Mapping[str, Any]
    io: Mapping[str, Any]


@dataclass
class Run:
    """One task run, its events folded together (the last event's values win)."""

    run_id: str
    job_namespace: str
    job_name: str
    dag_id: str | None
    state: str
    started: dt.datetime | None
    ended: dt.datetime
    inputs: list[Seen] = field(default_factory=list)
    outputs: list[Seen] = field(default_factory=list)
    facets: dict[str, Any] = field(default_factory=dict)

    def brief(self) -> dict[str, Any]:
        """Who did something and when: what the usage and trace answers cite."""
        return {"job": self.job_name, "run_id": self.run_id, "time": iso(self.ended)}
