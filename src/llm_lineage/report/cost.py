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
from typing import Any, NamedTuple

from llm_lineage.events import keys, kinds
from llm_lineage.report.describe import resource_details
from llm_lineage.report.facets import as_integer, custom
from llm_lineage.report.graph import Lineage
from llm_lineage.report.model import Run


class Spend(NamedTuple):
    """What one run adds to a row, read from its facets once: a run counts in several rows
    (its adapters', its DAG's, its month's, the total), and reading facets is the slow part."""

    trained: int | None
    documents: int
    tokens: int
    compute_seconds: float
    device: str | None
    cost: dict[str, float]

    @classmethod
    def of(cls, run: Run) -> Spend:
        usage = resource_details(run.facets)
        training = custom(run.facets, keys.TRAINING)
        tokens = 0
        for seen in run.outputs:
            if keys.TOKENIZATION.key in seen.facets:
                tokens += as_integer(custom(seen.facets, keys.TOKENIZATION).get("tokens")) or 0
        return cls(
            as_integer(training.get("tokensSeen")) if training else None,  # trained
            (usage["items"] or 0) if usage["item_unit"] == "documents" else 0,  # documents
            tokens,
            usage["compute_seconds"] or 0.0,
            usage["device"],
            usage["cost"] or {},
        )


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

    def add(self, run: Run, spend: Spend | None = None) -> None:
        spend = spend or Spend.of(run)
        self.runs += 1
        self.trainings += spend.trained is not None
        self.tokens_trained += spend.trained or 0
        self.documents += spend.documents
        self.tokens += spend.tokens
        self.compute_seconds += spend.compute_seconds
        if spend.device:
            self.devices.add(spend.device)
        for currency, amount in spend.cost.items():
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
    embeddings: list[CostRow] = field(default_factory=list)
    """Per embeddings dataset: the runs that wrote it and every run upstream of them."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "adapters": [row.as_dict() for row in self.adapters],
            "embeddings": [row.as_dict() for row in self.embeddings],
            "dags": [row.as_dict() for row in self.dags],
            "months": [row.as_dict() for row in self.months],
            "total": self.total.as_dict(),
        }


def cost(lineage: Lineage) -> CostReport:
    spends = {id(run): Spend.of(run) for run in lineage.runs if _reported(run)}
    measured = [run for run in lineage.runs if id(run) in spends]
    by_dag: dict[str, list[Run]] = defaultdict(list)
    by_month: dict[str, list[Run]] = defaultdict(list)
    months: dict[tuple[int, int], str] = {}  # strftime once a month, not once a run
    for run in measured:
        by_dag[run.dag_id or run.job_name].append(run)
        month = months.get((run.ended.year, run.ended.month))
        if month is None:
            month = months[run.ended.year, run.ended.month] = run.ended.strftime("%Y-%m")
        by_month[month].append(run)
    return CostReport(
        adapters=[
            _row(key.uri, _adapter_runs(lineage, key), spends)
            for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri)
            if history.kind == kinds.ADAPTER and history.writes
        ],
        dags=[_row(key, runs, spends) for key, runs in sorted(by_dag.items())],
        months=[_row(key, runs, spends) for key, runs in sorted(by_month.items())],
        total=_row("total", measured, spends),
        embeddings=[
            _row(key.uri, _adapter_runs(lineage, key), spends)
            for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri)
            if history.kind == kinds.EMBEDDINGS and history.writes
        ],
    )


def _reported(run: Run) -> bool:
    return bool(custom(run.facets, keys.RESOURCES))


def _row(key: str, runs: Iterable[Run], spends: dict[int, Spend]) -> CostRow:
    """The row over ``runs`` that reported their usage (those in ``spends``, by ``id``)."""
    row = CostRow(key)
    for run in runs:
        spend = spends.get(id(run))
        if spend is not None:
            row.add(run, spend)
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
