"""Airflow Assets and the "Lineage in catalog" link after a real DAG run.

``asset_pipeline`` (``tests/dags/asset_pipeline.py``) runs extract → tokenize → fine_tune on a
literal corpus and base model, with ``[llm_lineage] catalog_url_template`` set.
``asset_consumer`` (``tests/dags/asset_consumer.py``) is scheduled on the token file by its URI
(``Asset(uri)``). ``airflow dags test`` registers asset events and queues the consumer
(``asset_dag_run_queue``), but only a scheduler turns the queue into a DAG run and activates
assets created at run time, so one scheduler pass runs here in a subprocess, with the scheduler's
own methods, and the consumer's task then runs in that DAG run with ``airflow tasks test``.
What the operators declare when parsed is in ``test_operators_assets.py``, the link's URL in
``test_operators_catalog_link.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from airflow_db import AirflowDb
from conftest import AIRFLOW, TESTS, DagRun, RunDag, assert_no_asset_errors
from corpora import make_mixed_corpus
from llm_lineage.lineage.naming import DatasetId, dataset_id
from lora_fixtures import tiny_base

TEMPLATE = (
    "http://marquez:3000/lineage/dataset/{namespace}/{name}"
    "?dag={dag_id}&task={task_id}&run={run_id}"
)
TASKS = ("extract", "tokenize", "fine_tune")

# One scheduler pass: what SchedulerJobRunner does for asset-triggered DAGs and for assets.
SCHEDULER_PASS = """
import json
from airflow.jobs.job import Job
from airflow.jobs.scheduler_job_runner import SchedulerJobRunner
from airflow.models.dag import DagModel
from airflow.utils.session import create_session

runner = SchedulerJobRunner(job=Job())
with create_session() as session:
    query, triggered = DagModel.dags_needing_dagruns(session)
    due = [dag for dag in query.all() if dag.dag_id in triggered]
    runner._create_dag_runs_asset_triggered(dag_models=due, session=session)
    runner._update_asset_orphanage(session=session)
print("DUE=" + json.dumps(sorted(dag.dag_id for dag in due)))
"""


def uri_of(dataset: dict[str, Any]) -> str:
    return DatasetId(dataset["namespace"], dataset["name"]).uri


def version_of(dataset: dict[str, Any]) -> str:
    return str(dataset["facets"]["version"]["datasetVersion"])


class AssetsRun:
    def __init__(self, run: DagRun, db: AirflowDb, out: Path, corpus: Path, base: Path) -> None:
        self.run, self.db, self.out, self.corpus, self.base = run, db, out, corpus, base

    def complete(self, task_id: str) -> dict[str, Any]:
        return self.run.of(task_id, "COMPLETE")

    @property
    def tokens_uri(self) -> str:
        return uri_of(self.complete("tokenize")["outputs"][0])


@pytest.fixture(scope="module")
def assets_run(run_dag: RunDag, airflow_home: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("assets")
    corpus = make_mixed_corpus(root / "corpus")
    base = tiny_base(root / "base")
    out = root / "out"
    consumer = airflow_home / "dags" / "asset_consumer.py"
    consumer.write_text((TESTS / "dags" / "asset_consumer.py").read_text())
    try:
        with pytest.MonkeyPatch.context() as patch:  # every airflow process parses the consumer
            patch.setenv("TEST_ASSET_TOKENS", str(out / "tokens" / "tokens.parquet"))
            run = run_dag(
                TESTS / "dags" / "asset_pipeline.py",
                "asset_pipeline",
                env={
                    "TEST_CORPUS": str(corpus),
                    "TEST_OUTPUT": str(out),
                    "TEST_BASE": str(base),
                    "AIRFLOW__LLM_LINEAGE__CATALOG_URL_TEMPLATE": TEMPLATE,
                },
            )
            assert run.returncode == 0, run.output[-5000:]
            assert_no_asset_errors(run.output)
            yield AssetsRun(run, AirflowDb(airflow_home), out, corpus, base)
    finally:
        consumer.unlink()


@pytest.fixture(scope="module")
def scheduled(assets_run: AssetsRun) -> dict[str, Any]:
    """The queue and active assets before a scheduler pass, the DAGs it found due, and after."""
    db = assets_run.db
    queued = [
        dict(row)
        for row in db.rows(
            "SELECT * FROM asset_dag_run_queue WHERE target_dag_id = 'asset_consumer'"
        )
    ]
    active_before = db.active_uris()
    done = subprocess.run(
        [sys.executable, "-c", SCHEDULER_PASS],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [due] = [line for line in done.stdout.splitlines() if line.startswith("DUE=")]
    return {
        "queued": queued,
        "due": json.loads(due[4:]),
        "active_before": active_before,
        "active": db.active_uris(),
    }


@pytest.mark.dag
def test_every_dataset_of_the_run_is_an_airflow_asset(assets_run: AssetsRun) -> None:
    """Corpus, text, manifest, tokens, base model and adapter, under the URIs lineage names."""
    named = {
        uri_of(dataset)
        for task_id in TASKS
        for side in ("inputs", "outputs")
        for dataset in assets_run.complete(task_id)[side]
    }
    out = assets_run.out
    expected = {
        dataset_id(path).uri
        for path in (
            assets_run.corpus,
            out / "extracted" / "text.parquet",
            out / "extracted" / "manifest.parquet",
            out / "tokens" / "tokens.parquet",
            assets_run.base,
            out / "adapter",
        )
    }
    assert named == expected
    for uri in expected:
        assert assets_run.db.asset(uri)["uri"] == uri
    # the asset the consumer declared, ``Asset(uri)``: named by its URI
    assert assets_run.db.asset(assets_run.tokens_uri)["name"] == assets_run.tokens_uri


@pytest.mark.dag
def test_each_output_has_one_event_with_the_versions_lineage_names(assets_run: AssetsRun) -> None:
    db = assets_run.db
    for task_id in TASKS:
        complete = assets_run.complete(task_id)
        sources = [
            {"uri": uri_of(d), "version": version_of(d)} for d in complete["inputs"]
        ]  # each input with its version, in the event's order
        for output in complete["outputs"]:
            [event] = db.events(uri_of(output))
            assert (event["source_dag_id"], event["source_task_id"]) == ("asset_pipeline", task_id)
            assert event["extra"]["version"] == version_of(output)
            assert event["extra"]["sources"] == sources
            [alias] = db.rows(
                "SELECT a.name FROM asset_alias a JOIN asset_alias_asset_event ae "
                "ON ae.alias_id = a.id WHERE ae.event_id = ?",
                event["id"],
            )
            assert alias["name"] == f"llm-lineage:asset_pipeline.{task_id}"


@pytest.mark.dag
def test_event_extras_hold_the_key_figures(assets_run: AssetsRun) -> None:
    db = assets_run.db
    extract = assets_run.complete("extract")
    collection = extract["inputs"][0]["facets"]["llmLineage_documentCollection"]
    for output in extract["outputs"]:
        [event] = db.events(uri_of(output))
        assert (event["extra"]["documents"], event["extra"]["failed"]) == (
            collection["documentCount"],
            collection["failedDocumentCount"],
        )
    tokens = assets_run.complete("tokenize")["outputs"][0]
    [event] = db.events(uri_of(tokens))
    facet = tokens["facets"]["llmLineage_tokenization"]
    assert (event["extra"]["tokens"], event["extra"]["sequences"]) == (
        facet["tokens"],
        facet["sequences"],
    )
    assert event["extra"]["tokenizer_sha256"] == facet["tokenizer"]["sha256"]
    fine_tune = assets_run.complete("fine_tune")
    [event] = db.events(uri_of(fine_tune["outputs"][0]))
    training = fine_tune["run"]["facets"]["llmLineage_training"]
    assert event["extra"]["steps"] == training["steps"] == 2
    assert event["extra"]["loss_last"] == pytest.approx(training["loss"]["last"])
    assert event["extra"]["base_model_fingerprint"] == version_of(fine_tune["inputs"][1])
    assert len(json.dumps(event["extra"])) < 2048  # small: no text, no chain


@pytest.mark.dag
def test_corpus_and_base_model_are_inlets_and_never_updated(assets_run: AssetsRun) -> None:
    """Reading an input must not tell Airflow it changed: no event, so no DAG is triggered."""
    db = assets_run.db
    for task_id, path in (("extract", assets_run.corpus), ("fine_tune", assets_run.base)):
        uri = dataset_id(path).uri
        assert db.events(uri) == []
        [reference] = db.rows(  # other DAGs of the session may read the same base model
            "SELECT r.dag_id, r.task_id FROM task_inlet_asset_reference r "
            "JOIN asset a ON a.id = r.asset_id WHERE a.uri = ? AND r.dag_id = ?",
            uri,
            "asset_pipeline",
        )
        assert tuple(reference) == ("asset_pipeline", task_id)
        assert uri in db.active_uris()  # listed from the moment the DAG is parsed


@pytest.mark.dag
def test_writing_the_tokens_queues_the_dag_scheduled_on_them(
    assets_run: AssetsRun, scheduled: dict[str, Any]
) -> None:
    """``dags test`` records the event and queues the consumer; a scheduler pass starts it."""
    tokens = assets_run.db.asset(assets_run.tokens_uri)
    assert [(q["target_dag_id"], q["asset_id"]) for q in scheduled["queued"]] == [
        ("asset_consumer", tokens["id"])
    ]
    assert "asset_consumer" in scheduled["due"]
    [dag_run] = assets_run.db.rows(
        "SELECT run_id, run_type FROM dag_run WHERE dag_id = 'asset_consumer'"
    )
    assert dag_run["run_type"] == "asset_triggered"
    consumed = assets_run.db.rows(
        "SELECT e.extra FROM dagrun_asset_event d JOIN asset_event e ON e.id = d.event_id "
        "JOIN dag_run r ON r.id = d.dag_run_id WHERE r.run_id = ?",
        dag_run["run_id"],
    )
    [event] = assets_run.db.events(assets_run.tokens_uri)
    assert [json.loads(row["extra"]) for row in consumed] == [event["extra"]]


@pytest.mark.dag
def test_the_triggered_task_reads_the_token_file_from_the_event(
    assets_run: AssetsRun, scheduled: dict[str, Any]
) -> None:
    [dag_run] = assets_run.db.rows("SELECT run_id FROM dag_run WHERE dag_id = 'asset_consumer'")
    done = subprocess.run(
        [str(AIRFLOW), "tasks", "test", "asset_consumer", "read_tokens", dag_run["run_id"]],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [event] = assets_run.db.events(assets_run.tokens_uri)
    expected = {
        "tokens": str(assets_run.out / "tokens" / "tokens.parquet"),
        "version": event["extra"]["version"],
    }
    assert f"TRIGGERED BY {expected}" in done.stdout + done.stderr


@pytest.mark.dag
def test_after_a_scheduler_pass_the_assets_page_lists_every_asset(
    assets_run: AssetsRun, scheduled: dict[str, Any]
) -> None:
    """Assets that events created are listed once the scheduler activates them (#58058)."""
    outputs = {uri_of(d) for t in TASKS for d in assets_run.complete(t)["outputs"]}
    created_by_events = outputs - {assets_run.tokens_uri}  # the consumer declared the tokens
    assert created_by_events.isdisjoint(scheduled["active_before"])
    inputs = {dataset_id(assets_run.corpus).uri, dataset_id(assets_run.base).uri}
    assert outputs | inputs <= scheduled["active"]


@pytest.mark.dag
def test_catalog_link_opens_each_tasks_main_output(assets_run: AssetsRun) -> None:
    main = {"extract": "text.parquet", "tokenize": "tokens.parquet", "fine_tune": "adapter"}
    for task_id in TASKS:
        [row] = assets_run.db.rows(
            "SELECT run_id, value FROM xcom WHERE dag_id = 'asset_pipeline' AND task_id = ? "
            "AND key = '_link_CatalogLink'",
            task_id,
        )
        [output] = [
            d for d in assets_run.complete(task_id)["outputs"] if d["name"].endswith(main[task_id])
        ]
        assert output["namespace"] == "file"
        expected = (
            f"http://marquez:3000/lineage/dataset/file/{quote(output['name'], safe='')}"
            f"?dag=asset_pipeline&task={task_id}&run={quote(row['run_id'], safe='')}"
        )
        assert json.loads(row["value"]) == expected
