"""The report on hand-made input: hostile files and events, and each usage rule on its own.

Bad input is counted and skipped, never fatal; every rule of the usage answer is checked on a
small history built for it. No DAG runs here.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llm_lineage.cli.main import main
from llm_lineage.report.load import from_events
from llm_lineage.report.trace import trace
from llm_lineage.report.usage import usage
from marquez_api import Catalog, MarquezApi

AIRFLOW = "https://github.com/apache/airflow/tree/providers-openlineage/2.20.3"
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
ENGINE = "https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet"
VERSION = "https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet"
COLLECTION = "https://llm-lineage.github.io/spec/facets/1-0-0/LlmLineageDocumentCollectionDatasetFacet.json#/$defs/LlmLineageDocumentCollectionDatasetFacet"


def ds(
    name: str, version: str | None = None, size: int | None = None, **facets: Any
) -> dict[str, Any]:
    dataset: dict[str, Any] = {"namespace": "file", "name": name, "facets": dict(facets)}
    if version:
        dataset["facets"]["version"] = {
            "_producer": AIRFLOW,
            "_schemaURL": VERSION,
            "datasetVersion": version,
        }
    if size is not None:
        dataset["outputFacets"] = {"outputStatistics": {"size": size}}
        dataset["inputFacets"] = {"inputStatistics": {"size": size}}
    return dataset


def event(
    job: str,
    day: float,
    inputs: list[dict[str, Any]] = (),  # type: ignore[assignment]
    outputs: list[dict[str, Any]] = (),  # type: ignore[assignment]
    kind: str = "COMPLETE",
    run: str | None = None,
    producer: str = AIRFLOW,
    **run_facets: Any,
) -> dict[str, Any]:
    return {
        "eventType": kind,
        "eventTime": (T0 + dt.timedelta(days=day)).isoformat(),
        "producer": producer,
        "run": {
            "runId": run or f"run-{job}-{day}",
            "facets": {
                "processing_engine": {
                    "_producer": producer,
                    "_schemaURL": ENGINE,
                    "name": "Airflow",
                },
                **run_facets,
            },
        },
        "job": {"namespace": "ns", "name": f"dag.{job}"},
        "inputs": list(inputs),
        "outputs": list(outputs),
    }


def write(path: Path, events: list[dict[str, Any]], extra: str = "") -> Path:
    path.write_text("".join(json.dumps(e) + "\n" for e in events) + extra)
    return path


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["report", *args])
    return status, out.getvalue()


def test_bad_lines_other_producers_and_unknown_facets_are_counted_not_fatal(tmp_path: Path) -> None:
    good = event("extract", 1, [ds("/c", "v0")], [ds("/t", "v1", 10)])
    spark = event(
        "spark_job",
        2,
        [ds("/t", "v1")],
        [],
        producer="https://github.com/OpenLineage/OpenLineage/tree/1.0/integration/spark",
    )
    future = event(
        "tokenize", 3, [ds("/t", "v1")], [ds("/k", "v2", 5, llmLineage_future={"x": 1})],
        llmLineage_training={"_schemaURL": "https://llm-lineage.github.io/spec/facets/2-0-0/X.json", "steps": "many"},
        llmLineage_resourceUsage="not a dict",
    )  # fmt: skip
    no_time = event("x", 4)
    no_time["eventTime"] = "yesterday"
    bad_dataset = event("y", 5, [{"namespace": "file"}, "junk"], [])
    path = write(
        tmp_path / "events.jsonl",
        [good, spark, future, no_time, bad_dataset],
        extra='[1, {"dataset": {"namespace": "file", "name": "/d"}}]\n{"eventType": "COMPL',
    )
    lineage = from_events(path)
    assert lineage.tally.as_dict() == {
        "records": 7,
        "bad_json": 1,
        "not_run_events": 2,
        "malformed": 3,  # the bad time, and two bad datasets
        "other_producers": 1,
        "unknown_facets": 3,
        "unreadable_files": 0,
        "too_deep": 0,
        "out_of_range_times": 0,
        "out_of_range_numbers": 0,
    }
    assert sorted(run.job_name for run in lineage.runs) == ["dag.extract", "dag.tokenize", "dag.y"]
    [tokenize] = [run for run in lineage.runs if run.job_name == "dag.tokenize"]
    assert sorted(tokenize.facets) == ["processing_engine"]
    assert sorted(tokenize.outputs[0].facets) == ["version"]
    status, text = cli("usage", "--events", str(path), "--now", "2025-02-01T00:00:00Z")
    assert status == 0
    assert text.splitlines()[-1] == (
        "skipped: 1 lines or files that are not valid JSON (truncated?); 2 records that are not "
        "run events; 3 run events or datasets missing a required field; 1 events from other "
        "producers; 3 unknown or malformed llmLineage facets"
    )


def test_files_folders_and_missing_paths(tmp_path: Path) -> None:
    events = [event("extract", 1, [ds("/c", "v0")], [ds("/t", "v1", 10)])]
    (tmp_path / "empty.jsonl").write_text("\n\n")
    (tmp_path / "binary.json").write_bytes(b"\x00\xff\xfe garbage")
    (tmp_path / "notes.txt").write_text("not an event file, not read")
    (tmp_path / "pretty.json").write_text(json.dumps(events[0], indent=2))
    assert len(from_events(tmp_path).runs) == 1
    assert from_events(tmp_path).tally.bad_json == 1
    # a file transport's log_file_path without append: its timestamped files
    (tmp_path / "ol").mkdir()
    write(tmp_path / "ol" / "events.jsonl-20250101-000000.000001.json", events)
    assert len(from_events(tmp_path / "ol" / "events.jsonl").runs) == 1
    status, _ = cli("cost", "--events", str(tmp_path / "nowhere"))
    assert status == 2


def test_errors_are_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "e.jsonl", [event("extract", 1, [ds("/c", "v0")], [ds("/t", "v1")])])
    assert cli("trace", "/nope", "--events", str(path))[0] == 2
    assert "no dataset '/nope' in the lineage" in capsys.readouterr().err
    assert cli("trace", "/t", "--version", "zz", "--events", str(path))[0] == 2
    assert cli("usage", "--now", "soon", "--events", str(path))[0] == 2
    assert cli("cost", "--marquez", "http://127.0.0.1:9", "--timeout", "2")[0] == 2
    assert "cannot reach Marquez" in capsys.readouterr().err


def flags(
    events: list[dict[str, Any]], now_day: float, idle_days: float = 10
) -> dict[str, list[str]]:
    lineage = from_events_list(events)
    report = usage(lineage, T0 + dt.timedelta(days=now_day), idle_days)
    return {entry.history.id.name: entry.flags for entry in report.datasets}


def from_events_list(events: list[dict[str, Any]]) -> Any:
    from llm_lineage.report.graph import Lineage
    from llm_lineage.report.runs import fold_runs
    from llm_lineage.report.tally import Tally

    tally = Tally()
    return Lineage(fold_runs(events, tally), tally, "test")


def test_idle_is_the_last_read_against_the_cutoff() -> None:
    events = [
        event("make", 0, [], [ds("/a", "1")]),
        event("read", 5, [ds("/a", "1")], [ds("/b", "2")]),
    ]
    assert flags(events, now_day=14.9)["/a"] == []
    assert flags(events, now_day=15.1)["/a"] == ["idle"]
    assert flags(events, now_day=15.1)["/b"] == ["orphaned"]
    # a run still going (START only) reads too
    events.append(event("late", 14, [ds("/a", "1")], [], kind="START"))
    assert flags(events, now_day=15.1)["/a"] == []


def test_superseded_only_when_nothing_reads_the_old_version_since() -> None:
    events = [
        event("make", 0, [], [ds("/a", "1", 100)]),
        event("use", 1, [ds("/a", "1")], []),
        event("make", 2, [], [ds("/a", "2", 50)]),
        event("use", 3, [ds("/a", "2")], []),
    ]
    lineage = from_events_list(events)
    [entry] = [e for e in usage(lineage, T0, 10).datasets if e.history.id.name == "/a"]
    assert entry.superseded == [{"version": "1", "size": 100, "written": (T0).isoformat()}]
    # a job pinned to version 1 still reads it after version 2 was written
    events.append(event("pinned", 4, [ds("/a", "1")], []))
    assert flags(events, now_day=5)["/a"] == []


def test_redundant_keeps_the_copy_read_last_and_counts_the_others() -> None:
    events = [
        event("make", 0, [], [ds("/x", "same", 100), ds("/y", "same", 70), ds("/z", "other", 5)]),
        event("use", 1, [ds("/y", "same")], [ds("/out", "o", 1)]),
        event("use2", 1, [ds("/out", "o")], [], run="r2"),
        event("use3", 1, [ds("/z", "other")], [], run="r3"),
    ]
    report = usage(from_events_list(events), T0 + dt.timedelta(days=2), 10)
    by_name = {e.history.id.name: e for e in report.datasets}
    assert (by_name["/x"].flags, by_name["/x"].keep) == (["orphaned", "redundant"], False)
    assert (by_name["/y"].flags, by_name["/y"].keep) == (["redundant"], True)
    assert report.freeable() == {
        "orphaned": 100,
        "idle": 0,
        "redundant": 100,
        "current_data": 100,
        "superseded_versions": 0,
    }


def test_a_job_that_reads_what_it_writes_cannot_loop_the_trace() -> None:
    events = [
        event("grow", 0, [ds("/a", "1")], [ds("/a", "1")]),
        event("grow", 1, [ds("/b", "1")], [ds("/c", "1")], run="r-b"),
        event("grow", 2, [ds("/c", "1")], [ds("/b", "1")], run="r-c"),
    ]
    lineage = from_events_list(events)
    assert [n.id.name for n in trace(lineage, lineage.find("/a")).walk()] == ["/a", "/a"]
    assert [n.id.name for n in trace(lineage, lineage.find("/b")).walk()] == ["/b", "/c", "/b"]


def test_html_escapes_every_value(tmp_path: Path) -> None:
    hostile = "/data/<script>alert(1)</script>&\"'"
    collection = {
        "_schemaURL": COLLECTION,
        "documentCount": 1,
        "authorPolicy": "include",
        "authors": [{"name": "<img src=x onerror=alert(2)>", "documentCount": 1}],
        "manifestUri": "file:///m/<b>manifest.parquet",
    }
    events = [
        event("extract", 0, [ds(hostile, "v0", llmLineage_documentCollection=collection)], [ds("/t<i>", "v1", 3)]),
        event("make", 1, [ds("/t<i>", "v1")], [ds("/adapter", "v2", 4, datasetType={"datasetType": "MODEL", "subType": "LORA_ADAPTER"})]),
    ]  # fmt: skip
    path = write(tmp_path / "e.jsonl", events)
    page = tmp_path / "page.html"
    assert cli("cost", "--events", str(path), "--html", str(page))[0] == 0
    html = page.read_text()
    assert "<script" not in html and "<img" not in html and "<b>manifest" not in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_document_question_on_a_stale_manifest(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.parquet"
    table = pa.table({"relative_path": ["a.txt"], "source_uri": ["file:///c/a.txt"], "sha256": ["ab" * 32], "status": ["failed"], "text_not_read": ["secret"]})  # fmt: skip
    pq.write_table(table.replace_schema_metadata({b"llm_lineage.content_hash": b"newer"}), manifest)
    collection = {"_schemaURL": COLLECTION, "documentCount": 1, "manifestUri": manifest.as_uri()}
    events = [
        event("extract", 0, [ds("/c", "v0", llmLineage_documentCollection=collection)], [ds("/t", "v1"), ds(str(manifest), "older")]),
        event("train", 1, [ds("/t", "v1")], [ds("/adapter", "v2")]),
    ]  # fmt: skip
    path = write(tmp_path / "e.jsonl", events)
    status, text = cli("trace", "/adapter", "--document", "AB" * 32, "--events", str(path))
    assert status == 1  # listed, but it failed extraction: it feeds nothing
    assert "the manifest was rewritten since (now newer, traced older)" in text
    assert "    listed: a.txt sha256 abababababababab status failed" in text
    assert "secret" not in text


def test_marquez_source_pages_and_matches_the_file(tmp_path: Path) -> None:
    events = [
        event("extract", 0, [ds("/c", "v0")], [ds("/t", "v1", 10)], kind="START", run="r1"),
        event("extract", 0.1, [ds("/c", "v0")], [ds("/t", "v1", 10)], run="r1"),
        event("train", 1, [ds("/t", "v1")], [ds("/adapter", "v2", 4)], kind="FAIL", run="r2"),
        event("train", 2, [ds("/t", "v1")], [ds("/adapter", "v3", 4)], run="r3"),
    ]
    path = write(tmp_path / "e.jsonl", events)
    api = MarquezApi(Catalog.from_events(events), max_page=1).start()
    try:
        by_file = json.loads(
            cli("usage", "--json", "--now", "2025-01-05T00:00:00Z", "--events", str(path))[1]
        )
        by_api = json.loads(
            cli(
                "usage",
                "--json",
                "--now",
                "2025-01-05T00:00:00Z",
                "--marquez",
                api.url + "/api/v1/",
            )[1]
        )
    finally:
        api.stop()
    assert by_file["usage"] == by_api["usage"]
    assert [row["name"] for row in by_api["usage"]["datasets"]] == ["/adapter", "/c", "/t"]
    assert by_api["usage"]["datasets"][0]["versions"] == 1  # the failed run wrote nothing


def test_the_report_never_imports_airflow() -> None:
    import subprocess
    import sys

    code = (
        "import sys, llm_lineage.report.load, llm_lineage.report.html, llm_lineage.report.text, "
        "llm_lineage.report.documents, llm_lineage.report.usage, llm_lineage.report.cost; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'airflow'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_fast_reader_answers_exactly_as_json_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line the typed decoder takes must give what ``json`` and the field-by-field checks
    give, and every line it refuses must reach them: same counts, same runs, same answers."""
    base = event("extract", 1, [ds("/c", "v0")], [ds("/t", "v1", 10)], run="r1")
    tokens = {"_schemaURL": COLLECTION.replace("1-0-0", "2-0-0"), "tokens": 3}
    future = event(
        "tokenize", 2, [ds("/t", "v1")], [ds("/k", "v2", llmLineage_tokenization=tokens)]
    )
    weird: list[Any] = [
        {**base, "eventType": 7},  # a type that is not a string folds as OTHER
        {k: v for k, v in base.items() if k != "eventType"},
        {**base, "run": {"runId": 5}},
        {**base, "run": {"runId": ""}},
        {**base, "job": {"namespace": "ns"}},
        {**base, "producer": None, "run": {"runId": "r2", "facets": {"llmLineage_x": 1}}},
        {**base, "inputs": [{"namespace": "file", "name": ""}, {"name": "/n"}, 3]},
        {**base, "inputs": "none", "outputs": None, "run": {"runId": "r3", "facets": None}},
        [base, {**base, "run": {"runId": "r4"}}],  # a line holding an array of events
        {**base, "run": {"runId": "r5", "facets": {"llmLineage_training": "not a dict"}}},
        future,
    ]
    plain = json.dumps(base)
    lines = [json.dumps(item).encode() for item in weird] + [
        plain.replace('"v1"', '"v1", "x": "\\ud800"').encode(),  # lone surrogate: json reads it
        plain.replace('"v0"', '"v\\u00e9"').encode(),
        plain.replace('"v0"', '"v\xff"').encode("latin-1"),  # not UTF-8
        b'{"eventType": NaN}',  # json reads NaN
        b"",
        b"  ",
        b'{"run": {"runId": "r6"}, "job": {"namespace": "n", "name": "j"}, "producer": "'
        + AIRFLOW.encode()
        + b'", "eventTime": "2025-01-01", "inputs": [{"namespace": "f", "name": "/z", "facets":'
        + b' {"version": {"datasetVersion": "v9"}}}]}',
    ]
    path = tmp_path / "events.jsonl"
    path.write_bytes(b"\n".join(lines))

    def answers() -> dict[str, Any]:
        lineage = from_events(path)
        return {
            "tally": lineage.tally.as_dict(),
            "runs": [
                (run.run_id, run.state, run.dag_id, sorted(run.facets)) for run in lineage.runs
            ],
            "usage": usage(lineage, T0, 10).as_dict(),
        }

    from llm_lineage.report import files

    taken = []

    def counted(line: bytes) -> Any:
        taken.append(decode(line))
        return taken[-1]

    decode = files.decode
    monkeypatch.setattr(files, "decode", counted)
    fast = answers()
    assert len(taken) == 7  # the rest went the slow way

    def refuse(line: bytes) -> Any:
        raise files.msgspec.DecodeError("slow path only")

    monkeypatch.setattr(files, "decode", refuse)
    assert answers() == fast
    assert fast["tally"] == {
        "records": 16,  # an array line holds two
        "bad_json": 1,  # not UTF-8 (NaN and the lone surrogate are JSON to ``json``)
        "not_run_events": 1,
        "malformed": 6,  # run id 5 and "", no job name, three bad datasets
        "other_producers": 0,
        "unknown_facets": 3,
        "unreadable_files": 0,
        "too_deep": 0,
        "out_of_range_times": 0,
        "out_of_range_numbers": 0,
    }
