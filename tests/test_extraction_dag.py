"""Real Airflow DAG runs of the extraction step, checked through the OpenLineage events they emit.

Every event is validated against the OpenLineage spec and our facet schemas by the ``run_dag``
fixture before these tests look at it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import TESTS, DagRun, RunDag
from corpora import AUTHORS, make_corpus_with_bad
from llm_lineage.lineage.authors import author_token

pytestmark = pytest.mark.dag

COLLECTION = "llmLineage_documentCollection"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    return make_corpus_with_bad(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def policies_run(
    run_dag: RunDag, corpus: tuple[Path, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[DagRun, Path]:
    out = tmp_path_factory.mktemp("out")
    run = run_dag(
        TESTS / "dags" / "extraction_policies.py",
        "extraction_policies",
        env={"TEST_CORPUS": str(corpus[0]), "TEST_OUTPUT": str(out)},
    )
    assert run.returncode == 0, run.output[-5000:]
    return run, out


def test_start_and_complete_name_the_datasets(policies_run: tuple[DagRun, Path], corpus) -> None:
    run, out = policies_run
    root = corpus[0]
    for event_type in ("START", "COMPLETE"):
        event = run.of("extract_include", event_type)
        assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [("file", str(root))]
        assert [(d["namespace"], d["name"]) for d in event["outputs"]] == [
            ("file", str(out / "include" / "text.parquet")),
            ("file", str(out / "include" / "manifest.parquet")),
        ]
        assert event["job"]["namespace"] == "llm-lineage-test"
        assert "documentation" in event["job"]["facets"]
        assert event["job"]["facets"]["jobType"]["jobType"] == "TASK"


def test_complete_describes_the_collection(policies_run: tuple[DagRun, Path], corpus) -> None:
    run, out = policies_run
    event = run.of("extract_include", "COMPLETE")
    source = event["inputs"][0]
    collection = source["facets"][COLLECTION]
    assert collection["documentCount"] == 5
    assert collection["failedDocumentCount"] == 5
    assert {f["format"]: f["documentCount"] for f in collection["formats"]} == {
        "pdf": 1,
        "docx": 1,
        "html": 1,
        "markdown": 1,
        "text": 1,
    }
    assert {a["name"]: a["documentCount"] for a in collection["authors"]} == AUTHORS
    assert collection["distinctAuthorCount"] == 5
    assert collection["documentsWithoutAuthor"] == 1
    assert collection["created"]["earliest"].startswith("2018-01-01")
    assert collection["encodingFallbacks"] == 1
    assert collection["manifestUri"] == (out / "include" / "manifest.parquet").as_uri()
    assert len(collection["sample"]) == 5
    assert source["facets"]["dataSource"]["uri"] == corpus[0].as_uri()
    assert source["inputFacets"]["inputStatistics"]["fileCount"] == 10
    assert len(source["facets"]["version"]["datasetVersion"]) == 64


def test_complete_describes_the_outputs(policies_run: tuple[DagRun, Path]) -> None:
    run, out = policies_run
    event = run.of("extract_include", "COMPLETE")
    text, manifest = event["outputs"]
    table = pq.read_table(out / "include" / "text.parquet")
    assert table.num_rows == 5
    assert text["outputFacets"]["outputStatistics"]["rowCount"] == 5
    assert (
        text["outputFacets"]["outputStatistics"]["size"]
        == (out / "include" / "text.parquet").stat().st_size
    )
    assert manifest["outputFacets"]["outputStatistics"]["rowCount"] == 10
    assert [f["name"] for f in text["facets"]["schema"]["fields"]] == table.schema.names
    assert text["facets"]["storage"]["fileFormat"] == "parquet"
    lineage = text["facets"]["columnLineage"]["fields"]
    assert lineage["text"]["inputFields"][0]["field"] == "content"
    assert lineage["text"]["inputFields"][0]["name"] == event["inputs"][0]["name"]
    steps = text["facets"]["llmLineage_transformations"]["steps"]
    assert [s["name"] for s in steps] == [
        "select_documents",
        "extract_pdf",
        "extract_docx",
        "extract_html",
        "extract_markdown",
        "extract_text",
        "write_parquet",
    ]
    assert steps[1]["library"] == "pypdfium2"
    assert text["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    assert "5 documents" in text["facets"]["documentation"]["description"]


def test_complete_run_facets_record_errors_and_resources(
    policies_run: tuple[DagRun, Path], corpus
) -> None:
    run, _ = policies_run
    facets = run.of("extract_include", "COMPLETE")["run"]["facets"]
    errors = facets["extractionError"]
    assert errors["totalTasks"] == 10
    assert errors["failedTasks"] == 5
    by_file = {e["task"]: e["errorMessage"] for e in errors["errors"]}
    for reason, path in corpus[1].items():
        assert reason in by_file[path.as_uri()], (reason, by_file)
    usage = facets["llmLineage_resourceUsage"]
    assert usage["itemsProcessed"] == 10
    assert usage["itemUnit"] == "documents"
    assert usage["bytesRead"] > 0
    assert usage["wallSeconds"] >= 0


def test_author_policies(policies_run: tuple[DagRun, Path]) -> None:
    run, _ = policies_run
    hashed = run.of("extract_hash", "COMPLETE")
    omitted = run.of("extract_omit", "COMPLETE")
    tokens = {
        a["name"]: a["documentCount"] for a in hashed["inputs"][0]["facets"][COLLECTION]["authors"]
    }
    assert tokens == {author_token(name, "test-salt"): count for name, count in AUTHORS.items()}
    assert omitted["inputs"][0]["facets"][COLLECTION]["authors"] == []
    assert omitted["inputs"][0]["facets"][COLLECTION]["distinctAuthorCount"] == 5
    for event in (hashed, omitted):
        text = json.dumps(event)
        for name in AUTHORS:
            assert name not in text, f"{name} leaked into a {event['job']['name']} event"


def test_rerun_on_same_input_gives_same_content_hash(policies_run: tuple[DagRun, Path]) -> None:
    run, _ = policies_run
    versions = {
        policy: run.of(f"extract_{policy}", "COMPLETE")["outputs"][0]["facets"]["version"][
            "datasetVersion"
        ]
        for policy in ("include", "hash", "omit")
    }
    assert len(set(versions.values())) == 1, versions


def test_taskflow_hook_reports_hook_lineage(policies_run: tuple[DagRun, Path], corpus) -> None:
    run, out = policies_run
    event = run.of("extract_with_hook", "COMPLETE")
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [("file", str(corpus[0]))]
    assert sorted(d["name"] for d in event["outputs"]) == [
        str(out / "taskflow" / "manifest.parquet"),
        str(out / "taskflow" / "text.parquet"),
    ]


@pytest.fixture(scope="module")
def failures_run(
    run_dag: RunDag, corpus: tuple[Path, dict[str, Path]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[DagRun, Path]:
    out = tmp_path_factory.mktemp("out-failures")
    run = run_dag(
        TESTS / "dags" / "extraction_failures.py",
        "extraction_failures",
        env={
            "TEST_CORPUS": str(corpus[0]),
            "TEST_BAD_CORPUS": str(corpus[0] / "unreadable"),
            "TEST_OUTPUT": str(out),
        },
    )
    return run, out


def test_on_error_fail_names_the_file_and_keeps_what_was_learned(failures_run, corpus) -> None:
    run, out = failures_run
    event = run.of("fail_fast", "FAIL")
    first_bad = sorted(corpus[1].values())[0]
    message = event["run"]["facets"]["errorMessage"]["message"]
    assert first_bad.as_uri() in message and "on_error='fail'" in message
    errors = event["run"]["facets"]["extractionError"]
    assert errors["failedTasks"] == 1
    assert errors["errors"][0]["task"] == first_bad.as_uri()
    source = event["inputs"][0]
    assert source["facets"][COLLECTION]["documentCount"] == 5  # all sorted before the bad one
    assert source["inputFacets"]["inputStatistics"]["rowCount"] == 6
    assert event["outputs"] == []
    assert not (out / "fail_fast" / "text.parquet").exists()
    assert [p.name for p in (out / "fail_fast").iterdir()] == []  # no staging left behind


def test_all_documents_failing_fails_the_task(failures_run) -> None:
    run, out = failures_run
    event = run.of("all_bad", "FAIL")
    assert "all 5 documents" in event["run"]["facets"]["errorMessage"]["message"]
    assert event["run"]["facets"]["extractionError"]["failedTasks"] == 5
    assert not (out / "all_bad" / "text.parquet").exists()


def test_missing_source_fails_with_its_name(failures_run, corpus) -> None:
    run, _ = failures_run
    event = run.of("missing_source", "FAIL")
    message = event["run"]["facets"]["errorMessage"]["message"]
    assert "no-such-folder" in message and "does not exist" in message
    assert event["outputs"] == []
