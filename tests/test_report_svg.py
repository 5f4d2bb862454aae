"""The HTML report's lineage graph: layered, each edge with an arrowhead, none behind a node.

Drawn from real events (``tests/datahub_pipeline_events.jsonl``: documents → text → tokens →
adapter, the base model joining at fine-tuning), so the layout is checked on the pipeline a
reader sees first.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from llm_lineage.report.load import from_events
from llm_lineage.report.svg import HEIGHT, WIDTH, Box, layout
from report_fixtures import cli

EVENTS = Path(__file__).parent / "datahub_pipeline_events.jsonl"
SVG = "{http://www.w3.org/2000/svg}"


def _boxes() -> tuple[dict[str, Box], list[str]]:
    graph = layout(from_events(EVENTS), {})
    return {box.label: box for box in graph["boxes"]}, graph["paths"]


def _ends(path: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path)]
    return numbers[0], numbers[1], numbers[-2], numbers[-1]


def test_the_base_model_sits_in_the_column_before_the_training_job_beside_it() -> None:
    boxes, _ = _boxes()
    base, job = boxes["pipeline/tiny-base-model"], boxes["fine_tune"]
    tokens = boxes["tokens/tokens.parquet"]
    assert base.kind == "base model" and job.kind == "job"
    assert base.x == tokens.x < job.x  # the same column as the training data
    assert [b for b in boxes.values() if base.x < b.x < job.x] == []
    assert abs(base.y - job.y) <= HEIGHT  # in the job's row or next to it


def test_no_edge_runs_behind_a_node_it_does_not_join() -> None:
    """An edge's bounding box holds no node but its two ends (an edge that skips columns,
    as the base model's did from the first column to fine-tuning, crosses every node in
    its row on the way)."""
    boxes, paths = _boxes()
    assert len(paths) == 8
    for path in paths:
        x1, y1, x2, y2 = _ends(path)
        low, high = min(y1, y2), max(y1, y2)
        crossed = [
            box.label
            for box in boxes.values()
            if box.x < x2 and box.x + WIDTH > x1 and box.y <= high and box.y + HEIGHT >= low
        ]
        assert crossed == [], f"{path} runs behind {crossed}"


def test_data_flows_left_to_right_in_layers() -> None:
    boxes, _ = _boxes()
    order = [
        "data/sample_corpus",
        "extract_documents",
        "extracted/text.parquet",
        "tokenize",
        "tokens/tokens.parquet",
        "fine_tune",
        "pipeline/adapter",
    ]
    assert [boxes[label].x for label in order] == sorted({boxes[label].x for label in order})


def test_every_edge_of_the_html_report_ends_in_an_arrowhead(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    assert cli("cost", "--events", str(EVENTS), "--html", str(page))[0] == 0
    svg_text = re.search(r"<svg .*?</svg>", page.read_text(), re.S)
    assert svg_text is not None
    svg = ET.fromstring(svg_text.group(0))
    markers = {m.get("id"): m for m in svg.iter(f"{SVG}marker")}
    assert "arrow" in markers and markers["arrow"].find(f"{SVG}path") is not None
    edges = [p for p in svg.iter(f"{SVG}path") if p.get("class") == "edge"]
    assert len(edges) == 8
    assert {edge.get("marker-end") for edge in edges} == {"url(#arrow)"}
