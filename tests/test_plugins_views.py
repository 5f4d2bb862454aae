"""The plugin's Lineage pages (task instance tab, DAG run view), served by Airflow's own API app.

The DAG tests run a real DAG (mapped extraction with a hostile PDF, tokenization, fine-tuning,
a failing extraction and a plain @task), then ask Airflow's API app, built in this process on the
same metadata database, for the pages of its task instances, as the UI's tab would. How Airflow
finds the plugin is tested in ``test_plugins_plugin.py``.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest

from conftest import AIRFLOW, TESTS, DagRun, RunDag
from corpora import make_mixed_corpus
from documents import make_markdown, make_pdf
from llm_lineage.lineage.document import XCOM_KEY
from llm_lineage.training import resolve_base_model
from lora_fixtures import tiny_base
from plugin_fixtures import Api

DAG_ID = "plugin_pipeline"
PREFIX = "/llm-lineage"
HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_AUTHOR = "<img src=x onerror=alert(2)>"
HOSTILE_FILE = "<svg onload=alert(3)>.pdf"
#: A run id as a person may type one: spaces, a colon and a plus.
SPACED_RUN_ID = "nightly run 2024-06-01 12:00+01:00"

dag = pytest.mark.dag


# --- fixtures: one real DAG run, a second run with a spaced run id, Airflow's API app -------


@dataclass
class Pipeline:
    run: DagRun
    run_id: str
    shard_a: Path
    shard_b: Path
    base: Path
    env: dict[str, str]


def _corpora(root: Path) -> dict[str, Path]:
    shard_a = make_mixed_corpus(root / "a")
    make_pdf(
        shard_a / "hostile.pdf",
        ["An engine of many parts, described at some length for the tokenizer."],
        title=HOSTILE_TITLE,
        author=HOSTILE_AUTHOR,
    )
    shard_b = root / "b"
    shard_b.mkdir()
    make_markdown(
        shard_b / "shard-b.md",
        "# Shard B\n\nOnly in the second shard.\n",
        title="Shard B notes",
        authors=["Barbara Liskov"],
        date="2022-02-02",
    )
    broken = root / "broken"
    broken.mkdir()
    good = make_pdf(broken / "good.pdf", ["fine"]).read_bytes()
    (broken / HOSTILE_FILE).write_bytes(good[: len(good) // 3])  # sorts first, fails first
    return {"TEST_SHARD_A": shard_a, "TEST_SHARD_B": shard_b, "TEST_BROKEN": broken}


def _run_ids() -> list[str]:
    from airflow.models.dagrun import DagRun as DagRunModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        return list(session.scalars(select(DagRunModel.run_id).where(DagRunModel.dag_id == DAG_ID)))


@pytest.fixture(scope="module")
def pipeline(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    root = tmp_path_factory.mktemp("plugin")
    paths = _corpora(root)
    base = tiny_base(root / "base")
    env = {
        **{key: str(path) for key, path in paths.items()},
        "TEST_OUTPUT": str(root / "out"),
        "TEST_BASE": str(base),
    }
    run = run_dag(TESTS / "dags" / "plugin_pipeline.py", DAG_ID, env=env)
    (run_id,) = _run_ids()
    return Pipeline(run, run_id, paths["TEST_SHARD_A"], paths["TEST_SHARD_B"], base, env)


def _airflow(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run(
        [str(AIRFLOW), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.fixture(scope="module")
def spaced_run(pipeline: Pipeline) -> str:
    """A second run, with spaces in its run id, where ``tokenize`` ran (``airflow tasks test``)."""
    env = {**pipeline.env, "AIRFLOW__SCHEDULER__ALLOWED_RUN_ID_PATTERN": r"^[A-Za-z0-9_.~:+ -]+$"}
    _airflow("dags", "trigger", DAG_ID, "--run-id", SPACED_RUN_ID, env=env)
    _airflow("tasks", "test", DAG_ID, "tokenize", SPACED_RUN_ID, env=env)
    return SPACED_RUN_ID


def task_path(run_id: str, task_id: str, map_index: str | None = None) -> str:
    """The tab's URL as the UI builds it: each id through encodeURIComponent."""
    path = f"{PREFIX}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}/tasks/{task_id}"
    return path if map_index is None else f"{path}?map_index={map_index}"


def run_path(run_id: str) -> str:
    return f"{PREFIX}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def cell(label: str, value: str) -> str:
    """A row of one of the page's label/value tables."""
    return f"<tr><th>{label}</th><td>{value}</td></tr>"


# --- the task instance tab -----------------------------------------------------------------


@dag
def test_extraction_tab_shows_the_collection_with_hostile_metadata_as_text(
    pipeline: Pipeline, api: Api
) -> None:
    html = api.page(task_path(pipeline.run_id, "extract", "0"))
    assert "Lineage of extract[0]" in html
    assert cell("documents read", "6") in html
    assert cell("documents failed", "0") in html
    assert "<td>Ada Lovelace</td><td>2</td>" in html
    assert "<b>extract_pdf</b>" in html  # a step of the transformation chain
    assert str(pipeline.shard_a) in html and str(pipeline.shard_b) not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script" not in html and "<img" not in html
    assert "<details>" in html  # the raw document, behind a toggle


@dag
def test_each_mapped_task_instance_shows_its_own_shard(pipeline: Pipeline, api: Api) -> None:
    html = api.page(task_path(pipeline.run_id, "extract", "1"))
    assert "Lineage of extract[1]" in html
    assert str(pipeline.shard_b) in html and str(pipeline.shard_a) not in html
    assert cell("documents read", "1") in html
    assert "<td>Barbara Liskov</td><td>1</td>" in html and "Ada Lovelace" not in html


@dag
def test_unreplaced_map_index_placeholder_means_an_unmapped_task(
    pipeline: Pipeline, api: Api
) -> None:
    """The UI leaves ``{MAP_INDEX}`` as it is on unmapped task instances."""
    html = api.page(task_path(pipeline.run_id, "tokenize", "{MAP_INDEX}"))
    tokenizer = hashlib.sha256((pipeline.base / "tokenizer.json").read_bytes()).hexdigest()
    assert "Lineage of tokenize" in html
    assert cell("sha256 of tokenizer.json", tokenizer) in html
    assert "<b>unicode_normalize</b>" in html and "<b>encode</b>" in html
    assert html == api.page(task_path(pipeline.run_id, "tokenize"))


@dag
def test_fine_tune_tab_shows_lora_base_model_training_and_cost(
    pipeline: Pipeline, api: Api
) -> None:
    html = api.page(task_path(pipeline.run_id, "fine_tune", "{MAP_INDEX}"))
    fingerprint = resolve_base_model(pipeline.base).fingerprint
    assert cell("rank r", "4") in html
    assert cell("alpha", "8") in html
    assert cell("weights fingerprint", fingerprint) in html
    assert cell("status", "completed") in html
    assert "<th>learningRate</th><td>0.03</td>" in html
    assert re.search(r'<polyline points="[0-9., ]+"', html)  # the loss curve, inline SVG
    assert re.search(r"<th>estimated cost</th><td>[0-9.e-]+ EUR</td>", html)
    assert "<b>lora_fine_tune</b>" in html  # the chain reaches the adapter


@dag
def test_fine_tune_tab_names_the_documents_behind_its_tokens(pipeline: Pipeline, api: Api) -> None:
    """The tokens' footer carries the documents summary; the tab shows it, escaped."""
    html = api.page(task_path(pipeline.run_id, "fine_tune"))
    assert "Documents behind the inputs" in html
    assert cell("documents read", "6") in html  # shard a: the mixed corpus and hostile.pdf
    assert "<td>Ada Lovelace</td><td>2</td>" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html and HOSTILE_AUTHOR not in html
    tokenize = api.page(task_path(pipeline.run_id, "tokenize"))
    assert "Documents behind the inputs" in tokenize and "<td>Ada Lovelace</td>" in tokenize


@dag
def test_failed_task_shows_what_its_fail_lineage_carried(pipeline: Pipeline, api: Api) -> None:
    html = api.page(task_path(pipeline.run_id, "broken"))
    assert "This task failed." in html and "FAIL lineage" in html
    assert 'class="state-failed">failed<' in html
    assert cell("documents failed", "1") in html
    assert "corrupt PDF" in html
    assert "%3Csvg%20onload%3Dalert%283%29%3E.pdf" in html  # the failed document, by its URI
    assert "<svg onload" not in html


@dag
def test_a_task_of_another_operator_gets_a_note(pipeline: Pipeline, api: Api) -> None:
    html = api.page(task_path(pipeline.run_id, "plain"))
    assert "This task reported no llm-lineage data." in html
    assert "<details>" not in html


@dag
def test_unknown_task_instance_is_a_404_page(pipeline: Pipeline, api: Api) -> None:
    response = api.get(task_path(pipeline.run_id, "no_such_task"), api.viewer)
    assert response.status_code == 404
    assert "No such task instance" in response.text


@dag
def test_the_xcom_holds_the_lineage_the_event_carried(pipeline: Pipeline) -> None:
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        stored = session.scalar(
            select(XComModel.value).where(
                XComModel.dag_id == DAG_ID,
                XComModel.run_id == pipeline.run_id,
                XComModel.task_id == "fine_tune",
                XComModel.key == XCOM_KEY,
            )
        )
    document = json.loads(stored) if isinstance(stored, str) else stored
    event = pipeline.run.of("fine_tune", "COMPLETE")
    assert document["eventType"] == "COMPLETE"
    assert document["inputs"] == event["inputs"]
    assert document["outputs"] == event["outputs"]
    for key, facet in document["run"]["facets"].items():
        assert event["run"]["facets"][key] == facet


# --- the DAG run view ----------------------------------------------------------------------


@dag
def test_run_view_shows_the_chain_with_versions_and_edges(pipeline: Pipeline, api: Api) -> None:
    html = api.page(run_path(pipeline.run_id))
    tokens = pipeline.run.of("tokenize", "COMPLETE")["outputs"][0]
    adapter = pipeline.run.of("fine_tune", "COMPLETE")["outputs"][0]
    for dataset in (tokens, adapter):
        assert dataset["name"] in html
        assert dataset["facets"]["version"]["datasetVersion"][:16] in html
    chain = html[html.index("<h2>Chain</h2>") : html.index("<h2>Datasets</h2>")]
    order = [chain.index(f"<b>{label}</b>") for label in ("extract[0]", "tokenize", "fine_tune")]
    assert order == sorted(order)
    assert '<span class="tag">documents</span>' in chain
    assert '<span class="tag">adapter</span>' in chain
    edges = html[html.index("<h2>Edges</h2>") :]
    assert "<td><b>tokenize</b></td>" in edges
    assert "<td>plain</td>" in html[html.index("Tasks without llm-lineage data") :]


# --- run ids that need URL-encoding --------------------------------------------------------


@dag
def test_run_ids_with_plus_colon_and_spaces(pipeline: Pipeline, spaced_run: str, api: Api) -> None:
    assert "+" in pipeline.run_id and ":" in pipeline.run_id
    raw = f"{PREFIX}/dags/{DAG_ID}/runs/{pipeline.run_id}/tasks/tokenize"  # not encoded at all
    assert "Lineage of tokenize" in api.page(raw)
    html = api.page(task_path(spaced_run, "tokenize", "{MAP_INDEX}"))
    assert "Lineage of tokenize" in html and "nightly run 2024-06-01 12:00+01:00" in html
    assert "<b>tokenize</b>" in api.page(run_path(spaced_run))


# --- security ------------------------------------------------------------------------------


@dag
def test_every_route_refuses_anonymous_and_unauthorized_users(pipeline: Pipeline, api: Api) -> None:
    for path in (task_path(pipeline.run_id, "extract", "0"), run_path(pipeline.run_id)):
        assert api.get(path).status_code == 401
        assert api.get(path, "not-a-token").status_code == 403
        refused = api.get(path, api.nobody)
        assert refused.status_code == 403
        assert "Documents" not in refused.text and "Ada Lovelace" not in refused.text


@dag
def test_the_ui_session_cookie_is_accepted(pipeline: Pipeline, api: Api) -> None:
    """The tab is an iframe: the browser sends Airflow's JWT cookie, not a bearer header."""
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN

    api.client.cookies.set(COOKIE_NAME_JWT_TOKEN, api.viewer)  # as a browser keeps it
    try:
        response = api.client.get(run_path(pipeline.run_id))
    finally:
        api.client.cookies.delete(COOKIE_NAME_JWT_TOKEN)
    assert response.status_code == 200


@dag
def test_pages_allow_no_script_and_only_airflow_may_frame_them(
    pipeline: Pipeline, api: Api
) -> None:
    for path in (
        task_path(pipeline.run_id, "fine_tune"),
        run_path(pipeline.run_id),
        task_path(pipeline.run_id, "no_such_task"),
    ):
        response = api.get(path, api.viewer)
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "frame-ancestors 'self'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in response.text
