"""The example DAGs on a production-shaped Airflow: PostgreSQL, Redis, two Celery workers apart.

``tests/celery_airflow.py`` starts PostgreSQL and Redis of its own, ``airflow db migrate`` on
PostgreSQL, the scheduler, DAG processor and API server, and two Celery workers that share no
local disk (each in its own mount namespace with its own TMPDIR, working directory, task logs
and events file). moto's S3 server (``tests/s3_fixtures.py``) is the only shared store; the
``aws`` connection lives in the metadata database, encrypted with the common Fernet key.

``llm_lineage_pipeline`` and ``llm_lineage_sharded`` (one shard per subfolder of the sample
corpus: three) run at once, from and to ``s3://``, their connection ids passed as params. A
cluster policy (``tests/multiworker_policy.py``) routes consecutive steps to different workers,
so a step that leaves what its successor needs on its own disk fails the run.

Wall time and the placement of every task instance go to
``$LLM_LINEAGE_TEST_ARTIFACTS/multiworker/measurements.json`` with the components' logs.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import requests

from celery_airflow import CeleryAirflow
from llm_lineage.storage.staging import STAGING_PREFIX
from olvalidate import read_events, validate_event
from real_airflow import quote, wait_for
from s3_fixtures import ACCESS_KEY, BUCKET, CONN_ID, S3, SECRET_KEY

pytestmark = [pytest.mark.dag, pytest.mark.multiworker]

TESTS = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("LLM_LINEAGE_TEST_ARTIFACTS") or TESTS / "artifacts")
SAMPLE_CORPUS = TESTS.parent / "example_dags" / "data" / "sample_corpus"
PIPELINE = "llm_lineage_pipeline"
SHARDED = "llm_lineage_sharded"
SHARDS = sorted(p.name for p in SAMPLE_CORPUS.iterdir() if p.is_dir())
#: Offsets for the cluster policy: each step's successor runs on the other worker; mapped
#: instances alternate, and each shard's tokenize runs where its extraction did not. The two
#: DAGs build their base models and fine-tune on different workers (they are the slow steps).
ROUTES = {
    PIPELINE: {
        "prepare_base_model": 0,
        "extract_documents": 0,
        "curate": 1,
        "tokenize": 0,
        "fine_tune": 1,
    },
    SHARDED: {
        "prepare_base_model": 1,
        "list_shards": 0,
        "extract_documents": 0,
        "tokenize": 1,
        "token_files": 1,
        "fine_tune": 0,
    },
}
#: The steps that report datasets (the others are plain @task functions).
STEPS = {"extract_documents", "curate", "tokenize", "fine_tune"}
#: Both runs at once; generous for a two-core machine shared with other test runs.
RUN_TIMEOUT = 480.0
S3_NAMESPACE = f"s3://{BUCKET}"


# -- the cluster and both runs ------------------------------------------------------------------


@pytest.fixture(scope="module")
def cluster(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Iterator[CeleryAirflow]:
    root = Path(tmp_path_factory.mktemp("multiworker"))
    airflow = CeleryAirflow(root, routes=ROUTES)
    artifacts = ARTIFACTS / "multiworker"
    shutil.rmtree(artifacts, ignore_errors=True)
    try:
        with airflow.explained():
            airflow.start()
            airflow.add_connection(CONN_ID, json.loads(s3.connection))
        yield airflow
    finally:
        airflow.stop()
        airflow.keep_logs(artifacts)
        for worker in airflow.workers:
            kept = artifacts / worker.name
            shutil.copytree(worker.task_logs, kept / "task-logs", dirs_exist_ok=True)
            if worker.events_file.exists():
                shutil.copy2(worker.events_file, kept / "events.jsonl")


@dataclass
class Run:
    dag_id: str
    run_id: str
    run: dict[str, Any]
    task_instances: list[dict[str, Any]]

    def ti(self, task_id: str, map_index: int = -1) -> dict[str, Any]:
        [found] = [
            ti
            for ti in self.task_instances
            if ti["task_id"] == task_id and ti["map_index"] == map_index
        ]
        return found


@dataclass
class Runs:
    cluster: CeleryAirflow
    runs: dict[str, Run]
    events: list[dict[str, Any]]
    #: events file → the events in it
    by_file: dict[Path, list[dict[str, Any]]]
    seconds: float


def upload_corpus(s3: S3, prefix: str) -> None:
    for path in sorted(p for p in SAMPLE_CORPUS.rglob("*") if p.is_file()):
        s3.client.upload_file(str(path), BUCKET, f"{prefix}/{path.relative_to(SAMPLE_CORPUS)}")


def conf_for(name: str) -> dict[str, str]:
    return {
        "source": f"s3://{BUCKET}/corpus",
        "output": f"s3://{BUCKET}/{name}",
        "source_conn_id": CONN_ID,
        "output_conn_id": CONN_ID,
    }


@pytest.fixture(scope="module")
def runs(cluster: CeleryAirflow, s3: S3) -> Runs:
    """Both example DAGs triggered at once, waited for (bounded), with every event."""
    upload_corpus(s3, "corpus")
    with cluster.explained():
        run_ids = {}
        for dag_id in (PIPELINE, SHARDED):
            cluster.wait_for_dag(dag_id)
        started = time.perf_counter()
        for dag_id, name in ((PIPELINE, "pipeline"), (SHARDED, "sharded")):
            run_ids[dag_id] = f"multiworker:{time.strftime('%Y%m%dT%H%M%S')}+{dag_id}"
            cluster.trigger(dag_id, run_ids[dag_id], conf_for(name))
        finished = {
            dag_id: cluster.wait_for_run(dag_id, run_id, RUN_TIMEOUT)
            for dag_id, run_id in run_ids.items()
        }
        seconds = time.perf_counter() - started
        found = {
            dag_id: Run(dag_id, run_id, finished[dag_id], cluster.task_instances(dag_id, run_id))
            for dag_id, run_id in run_ids.items()
        }
        expected = sum(len(run.task_instances) for run in found.values())

        def all_finished() -> dict[Path, list[dict[str, Any]]] | None:
            # A task's COMPLETE event may land just after the run's state changed.
            by_file = {path: read_events(path) for path in cluster.events_files()}
            done = {
                ti_key(e)
                for events in by_file.values()
                for e in events
                if e["eventType"] in ("COMPLETE", "FAIL") and "." in e["job"]["name"]
            }
            failed = any(run.run["state"] != "success" for run in found.values())
            return by_file if failed or len(done) >= expected else None

        by_file = wait_for("every task instance's last event", all_finished, 60.0, every=1.0)
    events = [e for file_events in by_file.values() for e in file_events]
    result = Runs(cluster, found, events, by_file, seconds)
    record(result)
    return result


def ti_key(event: dict[str, Any]) -> tuple[str, str, int]:
    """(dag_id, task_id, map_index) of a task event."""
    dag_id, task_id = event["job"]["name"].split(".", 1)
    facet = event["run"]["facets"]["airflow"]["taskInstance"]
    return dag_id, task_id, int(facet.get("map_index", -1))


def record(result: Runs) -> None:
    """Wall time, per-task placement and stored sizes, for the deployment guide."""
    cluster, runs = result.cluster, result.runs
    placement = {
        dag_id: [
            {
                "task_id": ti["task_id"],
                "map_index": ti["map_index"],
                "hostname": ti["hostname"],
                "queue": ti["queue"],
                "state": ti["state"],
                "duration_s": ti["duration"],
            }
            for ti in sorted(
                run.task_instances, key=lambda t: (t["start_date"] or "", t["task_id"])
            )
        ]
        for dag_id, run in runs.items()
    }
    measured = {
        "cluster_start_s": round(cluster.started_seconds, 1),
        "both_runs_wall_s": round(result.seconds, 1),
        "cpu_count": os.cpu_count(),
        "load_average_1_5_15": os.getloadavg(),
        "events_per_file": {str(path): len(events) for path, events in result.by_file.items()},
        "xcom_llm_lineage_bytes": {
            f"{row['dag_id']}.{row['task_id']}[{row['map_index']}]": len(row["text"])
            for row in xcom_rows(result)
            if row["key"] == "llm_lineage"
        },
        "runs": {
            dag_id: {
                "state": run.run["state"],
                "start": run.run["start_date"],
                "end": run.run["end_date"],
            }
            for dag_id, run in runs.items()
        },
        "placement": placement,
    }
    (ARTIFACTS / "multiworker").mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "multiworker" / "measurements.json").write_text(json.dumps(measured, indent=2))


# -- the tests ----------------------------------------------------------------------------------


def test_both_examples_succeed_at_once_on_two_workers(runs: Runs) -> None:
    for run in runs.runs.values():
        states = {(ti["task_id"], ti["map_index"]): ti["state"] for ti in run.task_instances}
        with runs.cluster.explained():
            assert run.run["state"] == "success", (run.dag_id, states)
        assert set(states.values()) == {"success"}, (run.dag_id, states)
    pipeline, sharded = runs.runs[PIPELINE].run, runs.runs[SHARDED].run
    # They ran at the same time: each started before the other ended.
    assert pipeline["start_date"] < sharded["end_date"]
    assert sharded["start_date"] < pipeline["end_date"]
    assert sorted(
        ti["map_index"]
        for ti in runs.runs[SHARDED].task_instances
        if ti["task_id"] == "extract_documents"
    ) == list(range(len(SHARDS)))
    assert len(SHARDS) >= 3


def test_every_task_instance_ran_on_the_worker_it_was_routed_to(runs: Runs) -> None:
    names = [worker.name for worker in runs.cluster.workers]
    for run in runs.runs.values():
        used = Counter()
        for ti in run.task_instances:
            # The host name is the worker's own (its UTS namespace), its queue the policy's.
            assert ti["hostname"] == ti["queue"], ti
            assert ti["hostname"] in names, ti
            used[ti["hostname"]] += 1
        assert set(used) == set(names), (run.dag_id, used)
    pipeline, sharded = runs.runs[PIPELINE], runs.runs[SHARDED]
    # Every hand-over of data crossed from one worker to the other.
    assert pipeline.ti("extract_documents")["hostname"] != pipeline.ti("curate")["hostname"]
    assert pipeline.ti("curate")["hostname"] != pipeline.ti("tokenize")["hostname"]
    assert pipeline.ti("prepare_base_model")["hostname"] != pipeline.ti("fine_tune")["hostname"]
    for index in range(len(SHARDS)):
        assert (
            sharded.ti("extract_documents", index)["hostname"]
            != sharded.ti("tokenize", index)["hostname"]
        )
    assert sharded.ti("prepare_base_model")["hostname"] != sharded.ti("fine_tune")["hostname"]


# -- lineage ------------------------------------------------------------------------------------


def task_events(
    runs: Runs, dag_id: str, task_id: str, event_type: str
) -> dict[int, dict[str, Any]]:
    """map_index → the one ``event_type`` event of each instance of ``dag_id.task_id``."""
    found: dict[int, dict[str, Any]] = {}
    for event in runs.events:
        if event["eventType"] == event_type and event["job"]["name"] == f"{dag_id}.{task_id}":
            _, _, index = ti_key(event)
            assert index not in found, f"two {event_type} events for {task_id}[{index}]"
            found[index] = event
    return found


def datasets(event: dict[str, Any], side: str) -> dict[tuple[str, str], str]:
    """(namespace, name) → version of an event's inputs or outputs."""
    return {
        (d["namespace"], d["name"]): d["facets"]["version"]["datasetVersion"] for d in event[side]
    }


def test_every_task_instance_reports_once_from_the_worker_that_ran_it(runs: Runs) -> None:
    for event in runs.events:
        validate_event(event)
    hosts = {
        (run.dag_id, ti["task_id"], ti["map_index"]): ti["hostname"]
        for run in runs.runs.values()
        for ti in run.task_instances
    }
    kinds = Counter((ti_key(e), e["eventType"]) for e in runs.events if "." in e["job"]["name"])
    for key in hosts:
        assert (kinds[(key, "START")], kinds[(key, "COMPLETE")]) == (1, 1), key
    assert {key for key, _ in kinds} == set(hosts)
    assert {kind for _, kind in kinds} == {"START", "COMPLETE"}
    # Each worker's events file (on its own disk) holds the events of its task instances.
    for worker in runs.cluster.workers:
        mine = [ti_key(e) for e in runs.by_file[worker.events_file]]
        assert mine, worker.name
        assert {hosts[key] for key in mine} == {worker.name}
    scheduler = runs.by_file[runs.cluster.events_file]
    assert {e["job"]["name"] for e in scheduler} == {PIPELINE, SHARDED}  # the DAG runs' events


def test_versions_chain_across_workers_and_every_dataset_is_in_the_bucket(runs: Runs) -> None:
    complete = {
        (dag_id, task_id): task_events(runs, dag_id, task_id, "COMPLETE")
        for dag_id in (PIPELINE, SHARDED)
        for task_id in STEPS
    }
    # Pipeline: text → curated text → tokens → adapter, each read with the version its writer
    # reported.
    [extract], [curate], [tokenize], [fine_tune] = (
        list(complete[(PIPELINE, task)].values())
        for task in ("extract_documents", "curate", "tokenize", "fine_tune")
    )
    text = {k: v for k, v in datasets(extract, "outputs").items() if k[1].endswith("text.parquet")}
    assert len(text) == 1 and datasets(curate, "inputs") == text
    curated = {
        k: v for k, v in datasets(curate, "outputs").items() if k[1].endswith("text.parquet")
    }
    assert len(curated) == 1 and curated != text and datasets(tokenize, "inputs") == curated
    tokens = datasets(tokenize, "outputs")
    assert len(tokens) == 1 and tokens.items() <= datasets(fine_tune, "inputs").items()
    # Sharded: each shard's text is read by that shard's tokenize (on the other worker), and
    # fine_tune reads every shard's tokens.
    extracts, tokenizes = complete[(SHARDED, "extract_documents")], complete[(SHARDED, "tokenize")]
    assert sorted(extracts) == sorted(tokenizes) == list(range(len(SHARDS)))
    shard_tokens: dict[tuple[str, str], str] = {}
    for index, event in extracts.items():
        [source] = datasets(event, "inputs")
        assert source == (S3_NAMESPACE, f"corpus/{SHARDS[index]}")
        shard_text = {
            k: v for k, v in datasets(event, "outputs").items() if k[1].endswith("text.parquet")
        }
        assert datasets(tokenizes[index], "inputs") == shard_text
        shard_tokens.update(datasets(tokenizes[index], "outputs"))
    [sharded_fine_tune] = complete[(SHARDED, "fine_tune")].values()
    inputs = datasets(sharded_fine_tune, "inputs")
    assert len(shard_tokens) == len(SHARDS) and shard_tokens.items() <= inputs.items()
    # The base model came from the bucket too: nothing any step read or wrote was local.
    for events in complete.values():
        for event in events.values():
            for side in ("inputs", "outputs"):
                assert {ns for ns, _ in datasets(event, side)} == {S3_NAMESPACE}, event[side]
    for fine in (fine_tune, sharded_fine_tune):
        [base] = [name for ns, name in datasets(fine, "inputs") if "tokens" not in name]
        assert base.endswith("tiny-base-model"), base


# -- what Airflow stored and serves -------------------------------------------------------------


def xcom_rows(runs: Runs) -> list[dict[str, Any]]:
    run_ids = [run.run_id for run in runs.runs.values()]
    with psycopg2.connect(runs.cluster.postgres.dsn()) as db, db.cursor() as cursor:
        cursor.execute(
            "SELECT dag_id, task_id, map_index, key, pg_typeof(value)::text, value::text "
            "FROM xcom WHERE run_id = ANY(%s)",
            (run_ids,),
        )
        names = ("dag_id", "task_id", "map_index", "key", "type", "text")
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_lineage_documents_are_in_postgresql_as_the_events_said(runs: Runs) -> None:
    rows = xcom_rows(runs)
    documents = {
        (row["dag_id"], row["task_id"], row["map_index"]): row
        for row in rows
        if row["key"] == "llm_lineage"
    }
    expected = {
        (run.dag_id, ti["task_id"], ti["map_index"])
        for run in runs.runs.values()
        for ti in run.task_instances
        if ti["task_id"] in STEPS
    }
    assert set(documents) == expected
    for (dag_id, task_id, index), row in documents.items():
        assert row["type"] == "jsonb", row["type"]
        document = json.loads(row["text"])
        assert (document["documentVersion"], document["eventType"]) == (1, "COMPLETE")
        event = task_events(runs, dag_id, task_id, "COMPLETE")[index]
        for side in ("inputs", "outputs"):
            assert datasets(document, side) == datasets(event, side), (task_id, index, side)
    returned = {(row["dag_id"], row["task_id"]) for row in rows if row["key"] == "return_value"}
    assert (PIPELINE, "prepare_base_model") in returned and (SHARDED, "list_shards") in returned


def test_plugin_pages_answer_for_every_run_and_task_instance(runs: Runs) -> None:
    cluster = runs.cluster
    headers = {"Authorization": f"Bearer {cluster.token()}"}
    pages = []
    for run in runs.runs.values():
        base = f"{cluster.base_url}/llm-lineage/dags/{quote(run.dag_id)}/runs/{quote(run.run_id)}"
        pages.append((base, {}))
        for ti in run.task_instances:
            if ti["task_id"] in STEPS:
                params = {"map_index": str(ti["map_index"])} if ti["map_index"] >= 0 else {}
                pages.append((f"{base}/tasks/{quote(ti['task_id'])}", params))
    for url, params in pages:
        response = requests.get(url, params=params, headers=headers, timeout=30)
        assert response.status_code == 200, (url, params, response.text[:500])
        assert "text/html" in response.headers["content-type"]
    assert len(pages) == 2 + 4 + 2 * len(SHARDS) + 1


# -- no local disk between tasks, no credential anywhere ----------------------------------------


def bucket_objects(s3: S3) -> list[str]:
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_outputs_are_in_the_bucket_and_the_workers_disks_keep_none(runs: Runs, s3: S3) -> None:
    keys = bucket_objects(s3)
    for name in ("pipeline", "sharded"):
        assert f"{name}/adapter/adapter_model.safetensors" in keys, keys
    for shard in SHARDS:
        assert f"sharded/shards/{shard}/tokens/tokens.parquet" in keys, keys
    assert not [key for key in keys if STAGING_PREFIX in key or key.endswith(".lock")], keys
    for worker in runs.cluster.workers:
        # Outputs, staging and working folders hold nothing once the tasks are done.
        for part in ("output", "tmp", "work"):
            left = [p for p in (worker.disk / part).rglob("*") if p.is_file()]
            assert left == [], (worker.name, part, left)


def secrets_of(runs: Runs) -> dict[str, bytes]:
    env = runs.cluster._env
    values = {
        "aws access key": ACCESS_KEY,
        "aws secret key": SECRET_KEY,
        "aws secret key (URL-encoded)": urllib.parse.quote(SECRET_KEY, safe=""),
        "PostgreSQL password": runs.cluster.postgres.password,
        "Fernet key": runs.cluster.fernet_key,
        "jwt_secret": env["AIRFLOW__API_AUTH__JWT_SECRET"],
        "secret_key": env["AIRFLOW__API__SECRET_KEY"],
    }
    return {name: value.encode() for name, value in values.items()}


def test_no_credential_in_events_logs_xcom_or_outputs(runs: Runs, s3: S3) -> None:
    cluster = runs.cluster
    places: dict[str, bytes] = {
        str(path): path.read_bytes() for path in cluster.events_files() if path.exists()
    }
    places["xcom"] = json.dumps(xcom_rows(runs)).encode()
    # The components' output (scheduler, DAG processor, API server, workers) and the logs
    # Airflow writes under its home (the DAG processor's).
    for log in [*cluster.logs.glob("*.log"), *(cluster.home / "logs").rglob("*")]:
        if log.is_file():
            places[str(log)] = log.read_bytes()
    for worker in cluster.workers:
        for part in ("logs", "tmp", "work", "output"):
            for path in (worker.disk / part).rglob("*"):
                if path.is_file():
                    places[str(path)] = path.read_bytes()
    for key in bucket_objects(s3):
        places[f"s3://{BUCKET}/{key}"] = s3.client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
    task_logs = [p for p in places if "/logs/dag_id=" in p]
    assert len(task_logs) == sum(len(run.task_instances) for run in runs.runs.values())
    leaks = [
        (where, name)
        for where, data in places.items()
        for name, secret in secrets_of(runs).items()
        if secret in data
    ]
    assert leaks == []


# -- no false alarms ----------------------------------------------------------------------------


def component_lines(runs: Runs, needle: bytes) -> list[str]:
    """Lines of the components' output (workers with their task supervisors, scheduler, DAG
    processor, API server) and of every task log that contain ``needle``."""
    cluster = runs.cluster
    logs = [*cluster.logs.glob("*.log")]
    for worker in cluster.workers:
        logs += [p for p in worker.task_logs.rglob("*.log") if p.is_file()]
    return [
        f"{log.name}: {line[:300].decode('utf-8', 'replace')}"
        for log in logs
        for line in log.read_bytes().splitlines()
        if needle in line
    ]


def test_a_successful_run_logs_no_asset_not_found_error(runs: Runs) -> None:
    """The provider's asset look-ups once logged ``ERROR Asset not found`` on the workers for
    every new output (issue 22)."""
    assert all(run.run["state"] == "success" for run in runs.runs.values())
    assert component_lines(runs, b"Asset not found") == []
