"""The usage and cost answers as plain text: a list for usage, tables for cost."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.events.units import count, money, seconds, short, size
from llm_lineage.report.cost import CostReport, CostRow
from llm_lineage.report.tally import Tally
from llm_lineage.report.text import skipped
from llm_lineage.report.timeutil import shown
from llm_lineage.report.usage import REDUNDANT, UsageReport


def usage_text(report: UsageReport, tally: Tally) -> str:
    lines = [
        f"{len(report.datasets)} datasets; idle means not read for {report.idle_days:g} days "
        f"(as of {shown(report.now)})",
        "",
    ]
    for entry in report.datasets:
        data = entry.as_dict()
        lines.append(f"{data['kind']:<10} {data['uri']}")
        pad = " " * 11
        lines.append(
            f"{pad}{size(data['size'])}, version {short(data['version'])} ({data['versions']} seen)"
        )
        lines.append(f"{pad}last written {_cited(data['last_written'])}")
        lines.append(f"{pad}last read    {_cited(data['last_read'])}")
        if entry.flags:
            lines.append(f"{pad}flags: {_flags(entry.flags, entry.keep, entry.copies)}")
        lines += [
            f"{pad}  superseded {short(old['version'])} ({size(old['size'])}, written "
            f"{old['written'][:19].replace('T', ' ')})"
            for old in entry.superseded
        ]
    lines += _curation_lines(report.curation)
    freed = report.freeable()
    lines += [
        "",
        f"could be freed: {size(freed['current_data'])} of current data (orphaned "
        f"{size(freed['orphaned'])}, idle {size(freed['idle'])}, redundant copies "
        f"{size(freed['redundant'])})",
        f"                + {size(freed['superseded_versions'])} in superseded versions, "
        "where the store keeps old versions",
    ]
    return "\n".join([*lines, *skipped(tally)]) + "\n"


def _curation_lines(savings: list[dict[str, Any]]) -> list[str]:
    lines = []
    for entry in savings:
        tokens = entry["tokens_saved"]
        estimate = (
            f"about {count(tokens)} tokens not tokenized or trained on"
            if tokens is not None
            else "tokens unknown (no tokenization read it)"
        )
        lines += [
            "",
            f"curation   {entry['uri']}",
            f"{' ' * 11}dropped {count(entry['documents_dropped'])} of "
            f"{count(entry['documents_in'])} documents, {count(entry['characters_dropped'])} "
            f"characters: {estimate}",
        ]
    return lines


def _cited(cited: Mapping[str, Any] | None) -> str:
    if cited is None:
        return "never"
    return f"{cited['time'][:19].replace('T', ' ')} UTC by {cited['job']}"


def _flags(flags: list[str], keep: bool, copies: list[str]) -> str:
    words = []
    for flag in flags:
        if flag == REDUNDANT:
            role = "keep this copy" if keep else "a copy"
            flag = f"redundant ({role}; same content as {', '.join(copies)})"
        words.append(flag)
    return ", ".join(words)


# -- cost ------------------------------------------------------------------------------------

_COLUMNS = (
    "runs",
    "trainings",
    "documents",
    "tokens",
    "tokens trained",
    "compute",
    "device",
    "estimated cost",
)


def cost_text(report: CostReport, tally: Tally) -> str:
    sections = [
        ("per adapter (its training runs and the runs upstream of them)", report.adapters),
        ("per embeddings dataset (its runs and the runs upstream of them)", report.embeddings),
        ("per DAG", report.dags),
        ("per month", report.months),
        ("total (each run once)", [report.total]),
    ]
    lines: list[str] = []
    for title, rows in sections:
        lines += [title, *_table(rows), ""]
    return "\n".join([*lines[:-1], *skipped(tally)]) + "\n"


def _cells(row: CostRow) -> list[str]:
    return [
        row.key,
        count(row.runs),
        count(row.trainings),
        count(row.documents),
        count(row.tokens),
        count(row.tokens_trained),
        seconds(row.compute_seconds),
        ", ".join(sorted(row.devices)) or "-",
        money(row.cost),
    ]


def _table(rows: list[CostRow]) -> list[str]:
    if not rows:
        return ["  (none)"]
    table = [["", *_COLUMNS], *(_cells(row) for row in rows)]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    return [
        "  "
        + "  ".join(
            cell.ljust(width) if index in (0, 7) else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in table
    ]


# -- diff ------------------------------------------------------------------------------------
