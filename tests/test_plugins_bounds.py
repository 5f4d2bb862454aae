"""The plugin's pages stay bounded and styled whatever a task pushed under the lineage key.

Any task can push XCom ``llm_lineage``. ``tests/dags/plugin_hostile.py`` runs plain @tasks that
push 1,000 inputs x 1,000 outputs, a loss-curve step of 401 digits and numbers no float holds;
Airflow's own API app (as in ``test_plugins_views.py``) serves the pages. Then the requests a
hostile user can make: a map index no integer column holds, a trailing slash with a forged
``Host``. Each check failed before the bounds (a 162 MB page, a bare 500, a 307 to the forged
host).
"""

from __future__ import annotations

import copy
import random
import time
import tracemalloc
from typing import Any

import pytest

from conftest import TESTS, DagRun, RunDag
from llm_lineage.plugins.app import task_response
from llm_lineage.plugins.run_view import MAX_EDGES, MAX_TASK_DATASETS, run_view
from llm_lineage.plugins.store import RunReports, TaskReport
from plugin_fixtures import Api

DAG_ID = "plugin_hostile"
PREFIX = "/llm-lineage"
WIDE = 1000
HUGE = 10**400

dag = pytest.mark.dag


@pytest.fixture(scope="module")
def hostile(run_dag: RunDag) -> str:
    run: DagRun = run_dag(TESTS / "dags" / "plugin_hostile.py", DAG_ID)
    assert run.returncode == 0, run.output[-4000:]
    from airflow.models.dagrun import DagRun as DagRunModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        (run_id,) = session.scalars(select(DagRunModel.run_id).where(DagRunModel.dag_id == DAG_ID))
    return str(run_id)


def run_path(run_id: str) -> str:
    from urllib.parse import quote

    return f"{PREFIX}/dags/{DAG_ID}/runs/{quote(run_id, safe='')}"


def task_path(run_id: str, task_id: str) -> str:
    return f"{run_path(run_id)}/tasks/{task_id}"


def assert_styled(response: Any) -> None:
    """A page of ours: the Content-Security-Policy and the page's own markup, not a bare body."""
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.text.startswith("<!doctype html>") and "<h1>" in response.text


# --- 1,000 inputs x 1,000 outputs -----------------------------------------------------------


@dag
def test_a_wide_document_makes_a_bounded_run_page(hostile: str, api: Api) -> None:
    """It made a 162 MB page (a million edges) and took the API server to 1.4 GB."""
    tracemalloc.start()
    try:
        response = api.get(run_path(hostile), api.viewer)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    html = response.text
    assert len(response.content) < 1_000_000, len(response.content)
    assert peak < 150 * 2**20, peak  # generous: the whole request, Airflow's app included
    chain = html[html.index("<h2>Chain</h2>") : html.index("<h2>Datasets</h2>")]
    assert chain.count("/wide/in/") == MAX_TASK_DATASETS
    assert chain.count("/wide/out/") == MAX_TASK_DATASETS
    hidden = WIDE - MAX_TASK_DATASETS
    assert chain.count(f"and {hidden:,} more") == 2
    edges = html[html.index("<h2>Edges</h2>") :]
    shown = min(MAX_EDGES, MAX_TASK_DATASETS**2)  # edges between the datasets shown
    assert edges.count("<td><b>wide</b></td>") == shown
    assert f"and {WIDE * WIDE - shown:,} more" in edges


@dag
def test_the_tab_of_a_wide_document_is_bounded(hostile: str, api: Api) -> None:
    response = api.get(task_path(hostile, "wide"), api.viewer)
    assert response.status_code == 200
    assert len(response.content) < 1_000_000, len(response.content)
    table = response.text[: response.text.index("<h2>Raw lineage</h2>")]
    assert table.count("/wide/in/") == MAX_TASK_DATASETS
    assert table.count("/wide/out/") == MAX_TASK_DATASETS
    assert table.count(f"and {WIDE - MAX_TASK_DATASETS:,} more") == 2


# --- numbers no float holds ----------------------------------------------------------------


@dag
def test_a_401_digit_step_gives_the_tab_not_a_bare_500(hostile: str, api: Api) -> None:
    response = api.get(task_path(hostile, "huge_step"), api.viewer)
    assert response.status_code == 200, response.text[-2000:]
    assert_styled(response)
    assert "Fewer than two loss points were recorded." in response.text


@dag
def test_sizes_and_durations_no_float_holds_are_shown_as_digits(hostile: str, api: Api) -> None:
    response = api.get(task_path(hostile, "huge_numbers"), api.viewer)
    assert response.status_code == 200, response.text[-2000:]
    assert_styled(response)
    assert f"{HUGE:,} bytes" in response.text


# --- hostile requests ----------------------------------------------------------------------


@dag
def test_a_map_index_no_integer_column_holds_is_a_404(hostile: str, api: Api) -> None:
    for index in ("99999999999999999999999", "2147483648", "-2", "9" * 5000):
        response = api.get(f"{task_path(hostile, 'wide')}?map_index={index}", api.viewer)
        assert response.status_code == 404, (index, response.status_code)
        assert_styled(response)
        assert "No such task instance" in response.text
    assert api.get(f"{task_path(hostile, 'wide')}?map_index=-1", api.viewer).status_code == 200


@dag
def test_no_redirect_is_built_from_the_host_header(hostile: str, api: Api) -> None:
    """A trailing slash answered ``307 Location: http://evil.example/...``; Airflow's API, 404."""
    for path in (run_path(hostile) + "/", task_path(hostile, "wide") + "/"):
        response = api.client.get(
            path,
            headers={"Authorization": f"Bearer {api.viewer}", "Host": "evil.example"},
            follow_redirects=False,
        )
        assert response.status_code == 404, (path, response.status_code, response.headers)
        assert "location" not in response.headers
        assert "evil.example" not in response.text
        assert_styled(response)
    own = api.client.get(
        "/api/v2/dags/",
        headers={"Authorization": f"Bearer {api.viewer}", "Host": "evil.example"},
        follow_redirects=False,
    )
    assert own.status_code == 404  # what Airflow's own API answers


# --- any stored document renders: a styled page, never a bare 500 --------------------------

COLLECTION = {
    "documentCount": 3,
    "failedDocumentCount": 1,
    "totalBytes": 2048,
    "totalCharacters": 100,
    "totalPages": 2,
    "created": {"earliest": "2024-01-01", "latest": "2024-02-01"},
    "formats": [{"format": "pdf", "mimeType": "application/pdf", "documentCount": 3}],
    "authorPolicy": "include",
    "authors": [{"name": "Ada", "documentCount": 2}],
    "distinctAuthorCount": 1,
    "documentsWithoutAuthor": 1,
    "sample": [{"title": "t", "format": "pdf", "sizeBytes": 10, "sha256": "ab" * 32, "uri": "u"}],
}
DOCUMENT: dict[str, Any] = {
    "documentVersion": 1,
    "eventType": "COMPLETE",
    "inputs": [
        {
            "namespace": "file",
            "name": "/docs",
            "facets": {
                "version": {"datasetVersion": "v0"},
                "llmLineage_documentCollection": COLLECTION,
            },
            "inputFacets": {"inputStatistics": {"rowCount": 3, "size": 2048}},
        }
    ],
    "outputs": [
        {
            "namespace": "file",
            "name": "/tokens",
            "facets": {
                "llmLineage_transformations": {
                    "fingerprint": "f",
                    "steps": [{"step": 1, "name": "encode", "parameters": {"a": [1, 2]}}],
                },
                "llmLineage_tokenization": {
                    "tokenizer": {"name": "bpe", "vocabSize": 100, "specialTokens": ["<s>"]},
                    "tokensPerDocument": {"min": 1, "mean": 2.5, "max": 4},
                    "transforms": [{"name": "nfc", "parameters": {}, "changed": 1, "dropped": 0}],
                },
                "llmLineage_loraAdapter": {"r": 4, "alpha": 8, "baseModel": {"name": "tiny"}},
            },
            "outputFacets": {"outputStatistics": {"rowCount": 10, "size": 4096}},
        }
    ],
    "run": {
        "facets": {
            "llmLineage_training": {
                "status": "completed",
                "steps": 2,
                "durationSeconds": 12.5,
                "loss": {"first": 2.0, "last": 1.0, "best": 1.0, "bestStep": 2},
                "lossCurve": [{"step": 1, "loss": 2.0}, {"step": 2, "loss": 1.0}],
                "hyperparameters": {"learningRate": 0.03},
                "libraries": {"torch": "2"},
            },
            "llmLineage_resourceUsage": {
                "wallSeconds": 3700.0,
                "peakMemoryBytes": 2**30,
                "itemsProcessed": 10,
                "estimatedCost": 0.5,
                "currency": "EUR",
            },
            "llmLineage_eventBounds": {
                "budgetBytes": 196608,
                "truncations": [{"path": "x", "kept": 1, "original": 2}],
            },
            "extractionError": {"failedTasks": 1, "totalTasks": 3, "errors": [{"task": "a"}]},
        }
    },
    "provenance": [
        {
            "documents": {
                "source": "s",
                "documents": 3,
                "formats": [["pdf", 3]],
                "created": [1, 2],
            },
            "text": {"uri": "t"},
            "tokenizer": {"name": "bpe"},
        }
    ],
}
#: What a task may put in place of any value of the document.
HOSTILE: list[Any] = [HUGE, -HUGE, 1e308, -0.0, True, None, "", "<b>x</b>", [], {}, [None], [[1]]]


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def replaced(document: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    target: Any = changed
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return changed


def test_any_value_anywhere_in_a_document_gives_a_styled_page() -> None:
    """Every value of a document that uses every part of the tab, replaced in turn by each
    hostile value: the tab renders (200), as the API server would serve it."""
    baseline = task_response("d", "r", TaskReport("t", -1, "success", "Op", None, None, DOCUMENT))
    assert baseline.status_code == 200
    for section in ("Document collection", "Tokenization", "LoRA adapter", "Training"):
        assert section in bytes(baseline.body).decode()
    failures = []
    for path in paths(DOCUMENT):
        for value in HOSTILE:
            document = replaced(DOCUMENT, path, value)
            report = TaskReport("t", -1, "success", "Op", None, None, document)
            response = task_response("d", "r", report)
            if response.status_code != 200:
                failures.append((path, value if value is not HUGE else "10**400"))
    assert not failures, failures[:10]


def test_a_view_that_cannot_be_built_is_a_styled_500(monkeypatch: pytest.MonkeyPatch) -> None:
    """The last resort: whatever fails while a page is built, the answer is our page."""
    from llm_lineage.plugins import app

    def broken(*args: Any) -> Any:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(app, "task_view", broken)
    response = task_response("d", "r", TaskReport("t", -1, "success", "Op", None, None, DOCUMENT))
    assert response.status_code == 500
    assert "Lineage could not be shown" in bytes(response.body).decode()


# --- ordering is linear in tasks x datasets ------------------------------------------------


def reports(tasks: int, datasets: int) -> RunReports:
    """A chain: task i reads the ``datasets`` task i - 1 wrote and writes as many, listed in
    reverse, so the order must come from the data flow."""
    found = []
    for i in reversed(range(tasks)):
        document = {
            "documentVersion": 1,
            "eventType": "COMPLETE",
            "inputs": [{"namespace": "f", "name": f"/{i - 1}/{j}"} for j in range(datasets)],
            "outputs": [{"namespace": "f", "name": f"/{i}/{j}"} for j in range(datasets)],
        }
        found.append(TaskReport(f"t{i:03d}", -1, "success", "Op", None, None, document))
    return RunReports(found, tasks)


def test_two_hundred_tasks_of_150_datasets_are_ordered_in_a_bounded_time() -> None:
    """They took 55 s to order (each round rescanned every remaining task's datasets). The
    bound is generous (10 s, for a shared machine); the order is the data flow's."""
    started = time.perf_counter()
    view = run_view("d", "r", reports(200, 150))
    took = time.perf_counter() - started
    assert [stage.report.task_id for stage in view.stages] == [f"t{i:03d}" for i in range(200)]
    assert len(view.edges) == MAX_EDGES and view.edges_hidden == 200 * 150 * 150 - MAX_EDGES
    assert took < 10, took


def test_order_follows_the_data_flow_and_the_given_order_on_ties_and_cycles() -> None:
    def report(task: str, reads: list[str], writes: list[str]) -> TaskReport:
        document = {
            "documentVersion": 1,
            "inputs": [{"namespace": "f", "name": n} for n in reads],
            "outputs": [{"namespace": "f", "name": n} for n in writes],
        }
        return TaskReport(task, -1, "success", "Op", None, None, document)

    given = [
        report("train", ["/tokens", "/base"], ["/adapter"]),
        report("loop_a", ["/y"], ["/x"]),
        report("tokenize", ["/text"], ["/tokens"]),
        report("loop_b", ["/x"], ["/y"]),
        report("grow", ["/text", "/grown"], ["/grown"]),  # rewrites its own input
        report("extract", ["/docs"], ["/text"]),
        report("free", [], []),
    ]
    view = run_view("d", "r", RunReports(given, len(given)))
    order = [stage.report.task_id for stage in view.stages]
    # grow's own output does not hold it back; the loop is taken in the given order, last
    assert order == ["extract", "tokenize", "train", "grow", "free", "loop_a", "loop_b"]


def quadratic_order(stages: list[tuple[set[str], set[str]]]) -> list[int]:
    """The order as the view computed it before (one full rescan per round): the oracle."""
    remaining = list(range(len(stages)))
    result = []
    while remaining:
        written = {key for i in remaining for key in stages[i][1]}
        ready = next(
            (
                i
                for i in remaining
                if not any(k in written and k not in stages[i][1] for k in stages[i][0])
            ),
            remaining[0],
        )
        remaining.remove(ready)
        result.append(ready)
    return result


def test_the_linear_order_is_the_order_the_view_always_gave() -> None:
    rng = random.Random(7)
    for _ in range(300):
        names = [f"/{n}" for n in range(rng.randint(1, 8))]
        stages = [
            (
                set(rng.sample(names, rng.randint(0, min(3, len(names))))),
                set(rng.sample(names, rng.randint(0, min(2, len(names))))),
            )
            for _ in range(rng.randint(1, 9))
        ]
        given = [
            TaskReport(
                str(i),
                -1,
                "success",
                "Op",
                None,
                None,
                {
                    "documentVersion": 1,
                    "inputs": [{"namespace": "f", "name": n} for n in sorted(reads) * 2],
                    "outputs": [{"namespace": "f", "name": n} for n in sorted(writes)],
                },
            )
            for i, (reads, writes) in enumerate(stages)
        ]
        view = run_view("d", "r", RunReports(given, len(given)))
        assert [int(s.report.task_id) for s in view.stages] == quadratic_order(stages), stages
