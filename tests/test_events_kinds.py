"""One kind rule for every reader, and one label per dataset wherever it appears.

A step reports what a dataset is on its output; the step that reads it reports only storage,
schema and version. The Lineage tab used to label ``text.parquet`` ``text`` where extraction
wrote it and ``file`` where tokenization read it; now both pages label each dataset from every
document of the run, and the report (whose facets may still be JSON text) applies the same rule.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_lineage.events import kinds
from llm_lineage.events.kinds import dataset_kinds, kind_of
from llm_lineage.plugins.run_view import run_view
from llm_lineage.plugins.store import RunReports, TaskReport
from llm_lineage.plugins.task_view import task_view
from llm_lineage.report.kinds import kind_of as report_kind_of

EVENTS = Path(__file__).parent / "datahub_pipeline_events.jsonl"
TEXT = "/data/llm-out/pipeline/extracted/text.parquet"


def _completes() -> dict[str, dict[str, Any]]:
    events = [json.loads(line) for line in EVENTS.read_text().splitlines() if line.strip()]
    return {
        e["job"]["name"].rsplit(".", 1)[-1]: e
        for e in events
        if e["eventType"] == "COMPLETE" and (e["inputs"] or e["outputs"])
    }


def _document(event: dict[str, Any]) -> dict[str, Any]:
    """The XCom lineage document of a step, as ``lineage/document.py`` shapes it."""
    return {
        "documentVersion": 1,
        "eventType": event["eventType"],
        "inputs": event["inputs"],
        "outputs": event["outputs"],
        "run": {"facets": event["run"]["facets"]},
        "job": {"facets": event["job"]["facets"]},
    }


def _reports() -> list[TaskReport]:
    return [
        TaskReport(task, -1, "success", "Op", None, None, _document(event))
        for task, event in _completes().items()
    ]


@pytest.mark.parametrize(
    ("facets", "name", "expected"),
    [
        ({"llmLineage_documentCollection": {"documentCount": 1}}, "/in", kinds.DOCUMENTS),
        ({"datasetType": {"datasetType": "FILE", "subType": "DOCUMENT_COLLECTION"}}, "/in", "documents"),
        ({"llmLineage_loraAdapter": {"r": 8}}, "/a", kinds.ADAPTER),
        ({"datasetType": {"datasetType": "MODEL", "subType": "BASE_MODEL"}}, "/m", "base model"),
        ({"datasetType": {"datasetType": "MODEL", "subType": "EMBEDDING_MODEL"}}, "/m", "embedding model"),
        ({"llmLineage_embedding": {"x": 1}, "llmLineage_transformations": {"s": 1}}, "/e", "embeddings"),
        ({"llmLineage_tokenization": {"t": 1}, "llmLineage_transformations": {"s": 1}}, "/t", "tokens"),
        ({"llmLineage_curation": {"c": 1}, "llmLineage_transformations": {"s": 1}}, "/c", "curated text"),
        ({}, "/out/manifest.parquet", kinds.MANIFEST),
        ({}, "/out/decisions.parquet", kinds.DECISIONS),
        ({"llmLineage_transformations": {"steps": []}}, "/out/text.parquet", kinds.TEXT),
        ({"datasetType": {"datasetType": "FILE"}}, "/out/text.parquet", kinds.OTHER),
        ({"llmLineage_tokenization": "not an object"}, "/x", kinds.OTHER),
    ],
)  # fmt: skip
def test_the_rule(facets: dict[str, Any], name: str, expected: str) -> None:
    assert kind_of(facets, name) == expected
    assert report_kind_of(facets, name) == expected  # the report reads by the same rule


def test_the_report_and_the_plugin_label_every_dataset_of_a_run_alike() -> None:
    documents = [_document(event) for event in _completes().values()]
    labels = dataset_kinds(documents)
    assert {name.rsplit("/", 1)[-1]: kind for (_, name), kind in labels.items()} == {
        "sample_corpus": "documents",
        "text.parquet": "text",
        "manifest.parquet": "manifest",
        "tokens.parquet": "tokens",
        "tiny-base-model": "base model",
        "adapter": "adapter",
    }
    from llm_lineage.report.load import from_events

    report = {key.name: history.kind for key, history in from_events(EVENTS).datasets.items()}
    assert {name: kind for (_, name), kind in labels.items()} == report


def test_the_lineage_tab_labels_the_text_alike_where_it_is_written_and_where_it_is_read() -> None:
    reports = _reports()
    [extract] = [r for r in reports if r.task_id == "extract_documents"]
    [tokenize] = [r for r in reports if r.task_id == "tokenize"]
    run_kinds = dataset_kinds(r.document for r in reports)
    written = task_view("d", "r", extract, run_kinds).datasets
    read = task_view("d", "r", tokenize, run_kinds).datasets
    [as_output] = [d for d in written if d.name == TEXT and d.role == "output"]
    [as_input] = [d for d in read if d.name == TEXT and d.role == "input"]
    assert as_output.kind == as_input.kind == "text"
    # Alone, the reading task's document says only that it is a file: the run is needed.
    assert task_view("d", "r", tokenize).datasets[0].kind == kinds.OTHER


def test_the_run_view_gives_each_dataset_one_label_in_every_stage() -> None:
    reports = _reports()
    view = run_view("d", "r", RunReports(reports, len(reports)))
    labels: dict[str, set[str | None]] = {}
    for stage in view.stages:
        for ref in [*stage.inputs, *stage.outputs]:
            labels.setdefault(ref.name, set()).add(ref.kind)
    assert labels[TEXT] == {"text"}
    assert all(len(found) == 1 for found in labels.values()), labels
    assert {node.name: node.kind for node in view.datasets}[TEXT] == "text"


def test_the_tab_rendered_through_the_app_labels_the_input_from_the_run() -> None:
    from llm_lineage.plugins.app import task_response

    reports = _reports()
    [tokenize] = [r for r in reports if r.task_id == "tokenize"]
    html = bytes(task_response("d", "r", tokenize, reports).body).decode()
    row = html[html.index("<td>input</td>") : html.index("</tr>", html.index("<td>input</td>"))]
    assert "<td>text</td>" in row and "<td>file</td>" not in html
