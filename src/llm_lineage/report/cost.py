"""Cost: documents, tokens, compute and money per adapter, per DAG and per month.

Every number comes from the runs' ``llmLineage_resourceUsage`` (and the tokenization and
training facets for tokens), summed over runs, so each run counts once in a row. An adapter's
row holds the runs that trained it (every version) and the runs upstream of them that made
their inputs; a run shared by two adapters counts in both rows, and once in the totals. Money
is summed per currency, never converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from llm_lineage.report import kinds
from llm_lineage.report.describe import resource_details
from llm_lineage.report.facets import custom, integer
from llm_lineage.report.graph import Lineage
from llm_lineage.report.model import Run


@dataclass
class CostRow:
    """Sums over a set of runs. ``documents`` counts documents those runs extracted."""

    key: str
    runs: int = 0
    trainings: int = 0
    documents: int = 0
    tokens: int = 0
    tokens_trained: int = 0
    compute_seconds: float = 0.0
    devices: set[str] = field(default_factory=set)
    cost: dict[str, float] = field(default_factory=dict)

    def add(self, run: Run) -> None:
        usage = resource_details(run.facets)
        self.runs += 1
        trained = integer(custom(run.facets, "training"), "tokensSeen")
        self.trainings += trained is not None
        self.tokens_trained += trained or 0
        if usage["item_unit"] == "documents":
            self.documents += usage["items"] or 0
        self.tokens += sum(
            integer(custom(seen.facets, "tokenization"), "tokens") or 0 for seen in run.outputs
        )
        self.compute_seconds += usage["compute_seconds"] or 0.0
        if usage["device"]:
            self.devices.add(usage["device"])
        for currency, amount in (usage["cost"] or {}).items():
            self.cost[currency] = self.cost.get(currency, 0.0) + amount

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "runs": self.runs,
            "trainings": self.trainings,
            "documents": self.documents,
            "tokens": self.tokens,
            "tokens_trained": self.tokens_trained,
            "compute_seconds": round(self.compute_seconds, 6),
            "devices": sorted(self.devices),
            "cost": {currency: round(amount, 9) for currency, amount in sorted(self.cost.items())},
        }


@dataclass
class CostReport:
    adapters: list[CostRow]
    dags: list[CostRow]
    months: list[CostRow]
    total: CostRow

    def as_dict(self) -> dict[str, Any]:
        return {
            "adapters": [row.as_dict() for row in self.adapters],
            "dags": [row.as_dict() for row in self.dags],
            "months": [row.as_dict() for row in self.months],
            "total": self.total.as_dict(),
        }


def cost(lineage: Lineage) -> CostReport:
    measured = [run for run in lineage.runs if custom(run.facets, "resourceUsage")]
    by_dag: dict[str, list[Run]] = defaultdict(list)
    by_month: dict[str, list[Run]] = defaultdict(list)
    for run in measured:
        by_dag[run.dag_id or run.job_name].append(run)
        by_month[run.ended.strftime("%Y-%m")].append(run)
    return CostReport(
        adapters=[
            _row(key.uri, _adapter_runs(lineage, key))
            for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri)
            if history.kind == kinds.ADAPTER and history.writes
        ],
        dags=[_row(key, runs) for key, runs in sorted(by_dag.items())],
        months=[_row(key, runs) for key, runs in sorted(by_month.items())],
        total=_row("total", measured),
    )


def _row(key: str, runs: Iterable[Run]) -> CostRow:
    row = CostRow(key)
    for run in runs:
        if custom(run.facets, "resourceUsage"):
            row.add(run)
    return row


def _adapter_runs(lineage: Lineage, key: Any) -> list[Run]:
    """The runs that wrote the adapter, and every run upstream of them, each once."""
    found: dict[str, Run] = {}
    pending = [access.run for access in lineage.datasets[key].writes]
    while pending:
        run = pending.pop()
        if run.run_id in found:
            continue
        found[run.run_id] = run
        for seen in run.inputs:
            made = lineage.producer(seen.id, seen.version, run.started or run.ended)
            if made is not None:
                pending.append(made.run)
    return sorted(found.values(), key=lambda run: (run.ended, run.run_id))
