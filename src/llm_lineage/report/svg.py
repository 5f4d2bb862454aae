"""The lineage graph laid out for an SVG: datasets and jobs in columns, edges as curves.

Layered layout: a node's column is the length of the longest path to it from a node with no
inputs, so data flows left to right (documents, text, tokens, adapter); a node nothing writes
sits in the column just before its first reader (the base model beside the fine-tuning job).
Within a column, nodes are ordered by where their neighbours are, so edges stay short and
cross little. Each edge ends in an arrowhead (the template's marker) at the node it feeds. Only numbers and plain
strings come out; the template draws them with autoescaping, so no name can inject markup.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from llm_lineage.report.graph import Lineage

COLUMN, ROW, WIDTH, HEIGHT, MARGIN = 250, 58, 200, 42, 20
#: More nodes than this make an unreadable picture; the page says how many were left out.
MAX_NODES = 400


@dataclass(frozen=True)
class Box:
    key: str
    kind: str
    label: str
    title: str
    x: int
    y: int
    flags: str


def layout(lineage: Lineage, flags: dict[str, list[str]]) -> dict[str, Any]:
    """Boxes, edge paths and the canvas size for the whole lineage."""
    edges = _edges(lineage)
    labels = _nodes(lineage)
    names = sorted(labels)[:MAX_NODES]
    kept = set(names)
    inside = [(a, b) for a, b in sorted(edges) if a in kept and b in kept]
    depth = _pulled(_depths(names, inside), inside)
    columns: dict[int, list[str]] = defaultdict(list)
    for name in names:
        columns[depth[name]].append(name)
    rows = _rows(columns, inside, labels)
    boxes = {
        name: Box(
            name,
            *labels[name],
            MARGIN + depth[name] * COLUMN,
            MARGIN + int(rows[name]) * ROW,
            " ".join(flags.get(name, [])),
        )
        for name in names
    }
    return {
        "boxes": list(boxes.values()),
        "paths": [_curve(boxes[a], boxes[b]) for a, b in inside],
        "width": MARGIN * 2 + (max(columns, default=0) + 1) * COLUMN,
        "height": MARGIN * 2 + (int(max(rows.values(), default=0)) + 1) * ROW,
        "left_out": len(labels) - len(names),
    }


def _nodes(lineage: Lineage) -> dict[str, tuple[str, str, str]]:
    """Kind, short label and full name (the tooltip) of every node, by its key."""
    nodes = {
        key.uri: (
            history.kind,
            "/".join(key.name.rstrip("/").split("/")[-2:]) or key.name,
            key.name,
        )
        for key, history in lineage.datasets.items()
    }
    for run in lineage.runs:
        if run.inputs or run.outputs:
            label = run.job_name.rsplit(".", 1)[-1]
            nodes["job:" + run.job_name] = ("job", label, run.job_name)
    return nodes


def _edges(lineage: Lineage) -> set[tuple[str, str]]:
    edges: set[tuple[str, str]] = set()
    for run in lineage.runs:
        job = "job:" + run.job_name
        edges.update((seen.id.uri, job) for seen in run.inputs)
        if run.state == "COMPLETE":
            edges.update((job, seen.id.uri) for seen in run.outputs)
    return edges


def _depths(names: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Longest-path depth, relaxed at most once per node, so a cycle cannot loop forever."""
    depth = dict.fromkeys(names, 0)
    for _ in range(len(names)):
        changed = False
        for source, target in edges:
            if depth[target] < depth[source] + 1:
                depth[target] = depth[source] + 1
                changed = True
        if not changed:
            break
    return depth


def _pulled(depth: dict[str, int], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Nodes nothing writes (a base model, a document folder) moved to the column just before
    their first reader, so that an edge into a late job (fine-tuning reads the base model)
    spans one gap instead of running behind every column on the way."""
    readers: dict[str, list[int]] = defaultdict(list)
    written = {target for _, target in edges}
    for source, target in edges:
        readers[source].append(depth[target])
    return {
        name: (min(readers[name]) - 1 if name not in written and readers[name] else level)
        for name, level in depth.items()
    }


def _rows(
    columns: dict[int, list[str]],
    edges: list[tuple[str, str]],
    labels: dict[str, tuple[str, str, str]],
) -> dict[str, float]:
    """Each column's nodes ordered by the mean row of their neighbours in the column before
    (left to right), a node with none there by its readers' rows in the column after, so a
    node sits beside what it connects to; ties by kind and name, as before."""
    before: dict[str, list[str]] = defaultdict(list)
    after: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        before[target].append(source)
        after[source].append(target)
    rows: dict[str, float] = {}
    for column in sorted(columns):
        members = columns[column]
        for index, name in enumerate(sorted(members, key=lambda n: (labels[n][0], n))):
            rows[name] = _mean([rows[n] for n in before[name] if n in rows], index)
        _place(members, rows)
    for column in sorted(columns):
        for name in columns[column]:
            if not before[name] and after[name]:
                rows[name] = _mean([rows[n] for n in after[name]], rows[name]) + 0.5
        _place(columns[column], rows)
    return rows


def _mean(values: list[float], default: float) -> float:
    return sum(values) / len(values) if values else default


def _place(members: list[str], rows: dict[str, float]) -> None:
    """Rows 0, 1, 2, ... in the order of the wanted rows (stable, so ties keep their order)."""
    for row, name in enumerate(sorted(members, key=lambda n: rows[n])):
        rows[name] = row


def _curve(source: Box, target: Box) -> str:
    x1, y1 = source.x + WIDTH, source.y + HEIGHT // 2
    x2, y2 = target.x, target.y + HEIGHT // 2
    middle = (x1 + x2) // 2
    return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"
