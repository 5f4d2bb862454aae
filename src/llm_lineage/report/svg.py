"""The lineage graph laid out for an SVG: datasets and jobs in columns, edges as curves.

Layered layout: a node's column is the length of the longest path to it from a node with no
inputs, so data flows left to right (documents, text, tokens, adapter). Only numbers and plain
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
    depth = _depths(names, [(a, b) for a, b in edges if a in kept and b in kept])
    columns: dict[int, list[str]] = defaultdict(list)
    for name in names:
        columns[depth[name]].append(name)
    boxes: dict[str, Box] = {}
    for column, members in columns.items():
        for row, name in enumerate(sorted(members, key=lambda n: (labels[n][0], n))):
            kind, label, title = labels[name]
            boxes[name] = Box(
                name,
                kind,
                label,
                title,
                MARGIN + column * COLUMN,
                MARGIN + row * ROW,
                " ".join(flags.get(name, [])),
            )
    paths = [_curve(boxes[a], boxes[b]) for a, b in sorted(edges) if a in boxes and b in boxes]
    return {
        "boxes": list(boxes.values()),
        "paths": paths,
        "width": MARGIN * 2 + (max(columns, default=0) + 1) * COLUMN,
        "height": MARGIN * 2 + max((len(m) for m in columns.values()), default=1) * ROW,
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


def _curve(source: Box, target: Box) -> str:
    x1, y1 = source.x + WIDTH, source.y + HEIGHT // 2
    x2, y2 = target.x, target.y + HEIGHT // 2
    middle = (x1 + x2) // 2
    return f"M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"
