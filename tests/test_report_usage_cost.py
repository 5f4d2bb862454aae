"""The report's usage and cost answers, from every source and as HTML (see report_runs.py).

The three runs of the report pipeline are described in ``test_report_trace.py``. Every expected
value below is read from the events the runs emitted, never from the report itself; the same
questions asked of an events file, a file-transport folder, a spool and Marquez's API must get
the same answers.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from marquez_api import Catalog, MarquezApi
from report_fixtures import A, B, C, cli, cli_json, output, version
from report_runs import SALT, Scenario

pytestmark = pytest.mark.dag


def first_time(run: Any) -> dt.datetime:
    return min(dt.datetime.fromisoformat(e["eventTime"]) for e in run.events)


def usage_expectation(s: Scenario) -> dict[str, list[str]]:
    return {
        str(s.base): [],
        str(s.corpus_a): ["redundant"],
        str(s.corpus_b): ["idle", "redundant"],
        str(s.unused_corpus): ["idle"],
        str(s.out_a / "adapter"): ["superseded"],
        str(s.out_a / "extracted" / "manifest.parquet"): ["redundant"],
        str(s.out_a / "extracted" / "text.parquet"): ["redundant"],
        str(s.out_a / "tokens" / "tokens.parquet"): ["superseded"],
        str(s.out_a / "unused" / "manifest.parquet"): ["orphaned"],
        str(s.out_a / "unused" / "text.parquet"): ["orphaned"],
        str(s.out_b / "adapter"): [],
        str(s.out_b / "extracted" / "manifest.parquet"): ["idle", "redundant"],
        str(s.out_b / "extracted" / "text.parquet"): ["idle", "redundant"],
        str(s.out_b / "tokens" / "tokens.parquet"): ["idle"],
    }


def usage_args(s: Scenario) -> list[str]:
    now = first_time(s.runs[C]) + dt.timedelta(days=30)
    return ["usage", "--idle-days", "30", "--now", now.isoformat()]


def test_usage_flags_and_freeable_storage(scenario: Scenario) -> None:
    s = scenario
    status, doc = cli_json(*usage_args(s), "--events", str(s.events_file))
    rows = {row["name"]: row for row in doc["usage"]["datasets"]}
    assert status == 0
    assert {name: row["flags"] for name, row in rows.items()} == usage_expectation(s)
    keep = {name for name, row in rows.items() if "redundant" in row["flags"] and row["keep"]}
    assert keep == {
        str(s.corpus_a),
        str(s.out_a / "extracted" / "text.parquet"),
        str(s.out_a / "extracted" / "manifest.parquet"),
    }
    assert rows[str(s.corpus_b)]["same_content_as"] == [s.corpus_a.as_uri()]

    def out_size(run: int, task: str, suffix: str) -> int:
        return output(s.complete(run, task), suffix)["outputFacets"]["outputStatistics"]["size"]

    def in_size(run: int, task: str) -> int:
        return s.complete(run, task)["inputs"][0]["inputFacets"]["inputStatistics"]["size"]

    orphaned = out_size(A, "extract_unused", "text.parquet") + out_size(
        A, "extract_unused", "manifest.parquet"
    )
    copies = (
        in_size(B, "extract_documents")
        + out_size(B, "extract_documents", "text.parquet")
        + out_size(B, "extract_documents", "manifest.parquet")
    )
    idle = copies + in_size(A, "extract_unused") + out_size(B, "tokenize", "tokens.parquet")
    superseded = out_size(A, "tokenize", "tokens.parquet") + out_size(A, "fine_tune", "adapter")
    assert doc["usage"]["freeable_bytes"] == {
        "orphaned": orphaned,
        "idle": idle,
        "redundant": copies,
        "current_data": orphaned + idle,
        "superseded_versions": superseded,
    }
    tokens_a = rows[str(s.out_a / "tokens" / "tokens.parquet")]
    assert [v["version"] for v in tokens_a["superseded_versions"]] == [
        version(s.complete(A, "tokenize")["outputs"][0])
    ]
    assert tokens_a["last_read"]["run_id"] == s.complete(C, "fine_tune")["run"]["runId"]
    assert rows[str(s.corpus_b)]["last_written"] is None
    # a day later than that, every dataset read only in run C is idle too
    later = first_time(s.runs[C]) + dt.timedelta(days=31)
    _, doc = cli_json(
        "usage", "--idle-days", "30", "--now", later.isoformat(), "--events", str(s.events_file)
    )
    idle_now = {row["name"] for row in doc["usage"]["datasets"] if "idle" in row["flags"]}
    assert str(s.corpus_a) in idle_now and str(s.out_a / "tokens" / "tokens.parquet") in idle_now


def resource_sum(events: list[dict[str, Any]]) -> dict[str, Any]:
    compute, cost, documents, tokens, trained = 0.0, 0.0, 0, 0, 0
    for event in events:
        usage = event["run"]["facets"]["llmLineage_resourceUsage"]
        compute += usage.get("computeSeconds", usage["wallSeconds"])
        cost += usage.get("estimatedCost", 0.0)
        documents += usage["itemsProcessed"] if usage["itemUnit"] == "documents" else 0
        tokens += sum(
            o["facets"].get("llmLineage_tokenization", {}).get("tokens", 0)
            for o in event["outputs"]
        )
        trained += event["run"]["facets"].get("llmLineage_training", {}).get("tokensSeen", 0)
    return {
        "runs": len(events),
        "documents": documents,
        "tokens": tokens,
        "tokens_trained": trained,
        "compute_seconds": pytest.approx(compute, abs=1e-6),
        "cost": {"USD": pytest.approx(cost, abs=1e-9)},
    }


def test_cost_per_adapter_dag_and_month(scenario: Scenario) -> None:
    s = scenario
    status, doc = cli_json("cost", "--events", str(s.events_file))
    tasks = ("extract_documents", "tokenize", "fine_tune")
    made_a = [s.complete(run, task) for run in (A, C) for task in tasks]
    made_b = [s.complete(B, task) for task in tasks]
    everything = [*made_a, *made_b, s.complete(A, "extract_unused")]

    def picked(row: dict[str, Any]) -> dict[str, Any]:
        return {
            key: row[key]
            for key in ("runs", "documents", "tokens", "tokens_trained", "compute_seconds", "cost")
        }

    assert status == 0
    assert [row["key"] for row in doc["cost"]["adapters"]] == [
        (s.out_a / "adapter").as_uri(),
        (s.out_b / "adapter").as_uri(),
    ]
    assert picked(doc["cost"]["adapters"][0]) == resource_sum(made_a)
    assert picked(doc["cost"]["adapters"][1]) == resource_sum(made_b)
    assert [row["trainings"] for row in doc["cost"]["adapters"]] == [2, 1]
    assert [row["key"] for row in doc["cost"]["dags"]] == ["report_pipeline"]
    assert picked(doc["cost"]["dags"][0]) == resource_sum(everything)
    months = sorted({e["eventTime"][:7] for e in everything})
    assert [row["key"] for row in doc["cost"]["months"]] == months
    assert sum(row["runs"] for row in doc["cost"]["months"]) == 10
    assert picked(doc["cost"]["total"]) == resource_sum(everything)
    assert doc["cost"]["total"]["devices"] == [
        f"cpu ({s.complete(A, 'fine_tune')['run']['facets']['llmLineage_resourceUsage']['deviceName']})"
    ]


def copies_of_the_events(s: Scenario, root: Path) -> dict[str, str]:
    """The same events as a file-transport folder (one pretty-printed file per event) and as a
    spool (half pending, half dead letters with their .response files)."""
    folder, spool = root / "per-event", root / "spool"
    for path in (folder, spool / "pending", spool / "dead-letter", spool / "tmp"):
        path.mkdir(parents=True)
    for index, event in enumerate(s.events):
        text = json.dumps(event, indent=2)
        (folder / f"events.jsonl-20260101-{index:06d}.json").write_text(text)
        target = (
            spool
            / ("pending" if index % 2 else "dead-letter")
            / f"{index:020d}-0000001-000000.json"
        )
        target.write_text(text)
        if index % 2 == 0:
            target.with_suffix(".response").write_text("status: 422\n\nrefused")
    (spool / "tmp" / "half-written.json").write_text('{"eventType": "COMPL')
    return {"folder": str(folder), "spool": str(spool)}


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    doc = dict(doc)
    doc.pop("source")
    doc["skipped"] = {k: v for k, v in doc["skipped"].items() if k != "records"}
    return doc


def test_every_source_gives_the_same_answers(scenario: Scenario, tmp_path: Path) -> None:
    s = scenario
    copies = copies_of_the_events(s, tmp_path)
    api = MarquezApi(Catalog.from_events(s.events), max_page=3).start()
    try:
        sources = [
            ["--events", str(s.events_file)],
            ["--events", copies["folder"]],
            ["--events", copies["spool"]],
            ["--marquez", api.url],
        ]
        questions = [usage_args(s), ["cost"], ["trace", str(s.out_a / "adapter")]]
        for question in questions:
            answers = [comparable(cli_json(*question, *source)[1]) for source in sources]
            assert all(answer == answers[0] for answer in answers[1:]), question
            assert answers[0]["skipped"] == dict.fromkeys(answers[0]["skipped"], 0)
    finally:
        api.stop()
    assert api.requests and not [r for r in api.requests if r.startswith("POST")]
    assert any("/versions" in r for r in api.requests) and any(
        r.endswith("/runs") for r in api.requests
    )


def test_html_page_has_all_three_answers_and_nothing_secret(
    scenario: Scenario, tmp_path: Path
) -> None:
    s = scenario
    page = tmp_path / "report.html"
    outputs = []
    for question in (usage_args(s), ["cost"], ["trace", str(s.out_a / "adapter")]):
        outputs.append(cli(*question, "--events", str(s.events_file))[1])
        outputs.append(cli(*question, "--json", "--events", str(s.events_file))[1])
    status, _ = cli(*usage_args(s), "--events", str(s.events_file), "--html", str(page))
    html = page.read_text()
    outputs.append(html)
    assert status == 0
    assert (
        "<script" not in html and "<svg" in html and 'http-equiv="Content-Security-Policy"' in html
    )
    for heading in ("<h2>Lineage graph</h2>", "<h2>Trace</h2>", "<h2>Usage</h2>", "<h2>Cost</h2>"):
        assert heading in html
    for name in usage_expectation(s):
        assert Path(name).as_uri() in html
    assert html.count('<g class="node') == 14 + 4  # datasets, and the four jobs
    assert 'class="node text orphaned"' in html
    texts = pq.read_table(s.out_a / "extracted" / "text.parquet", columns=["text"])[
        "text"
    ].to_pylist()
    snippets = [t.strip()[:40] for t in texts if len(t.strip()) > 40]
    for output_text in outputs:
        assert SALT not in output_text
        assert not [snippet for snippet in snippets if snippet in output_text]
