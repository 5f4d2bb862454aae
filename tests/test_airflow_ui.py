"""The example pipeline in a real Airflow, and its lineage in the Airflow UI in a real browser.

Airflow runs as users run it (``tests/real_airflow.py``: scheduler, DAG processor and API
server, LocalExecutor on SQLite, each task in its own process). The DAGs are triggered through
the REST API. Headless Chromium (Debian's ``chromium``, driven by Playwright) then opens the
task instance's Lineage tab, the DAG run's Lineage view and the Assets page. What the pages
must show is read from the OpenLineage events the same run wrote, never written down here.

Screenshots and the components' logs go to ``$LLM_LINEAGE_TEST_ARTIFACTS`` (default
``tests/artifacts/``). Without ``/usr/bin/chromium`` or ``playwright`` the browser tests skip,
except under ``CI``, where they fail.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from olvalidate import read_events, validate_event
from real_airflow import RealAirflow, quote, wait_for

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Frame, Page

pytestmark = [pytest.mark.dag, pytest.mark.ui]

TESTS = Path(__file__).resolve().parent
ARTIFACTS = Path(os.environ.get("LLM_LINEAGE_TEST_ARTIFACTS") or TESTS / "artifacts")
CHROMIUM = Path("/usr/bin/chromium")
EXAMPLE_DAGS = TESTS.parent / "example_dags"
PIPELINE = "llm_lineage_pipeline"
TASKFLOW = "llm_lineage_taskflow"
PIPELINE_TASKS = {"prepare_base_model", "extract_documents", "curate", "tokenize", "fine_tune"}
TASKFLOW_TASKS = {"prepare_base_model", "extract", "tokenize", "fine_tune"}
#: The pipeline takes about 30 s in `airflow dags test`; a loaded 2-core CI machine is slower.
#: Seconds a DAG run may take; ``$LLM_LINEAGE_UI_RUN_TIMEOUT`` raises it on a loaded machine.
RUN_TIMEOUT = float(os.environ.get("LLM_LINEAGE_UI_RUN_TIMEOUT") or 360.0)
#: How long a page may take to show what it must show.
PAGE_TIMEOUT = 30.0
#: Versions and fingerprints are 64 hex digits; a page may show a prefix of this length.
HASH_PREFIX = 12


# -- a real Airflow with both example runs ------------------------------------------------------


@pytest.fixture(scope="session")
def real_airflow(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealAirflow]:
    """Scheduler, DAG processor and API server on a free port; logs kept as test artifacts.

    ``$LLM_LINEAGE_UI_ROOT`` (an empty or new folder) puts it there instead, with a copy of the
    example DAGs in ``<root>/dags``: ``scripts/screenshots.py`` uses ``/opt/airflow``, so the
    pictures show the paths of the Docker deployment, not those of the machine that made them."""
    chosen = os.environ.get("LLM_LINEAGE_UI_ROOT")
    if chosen:
        root = Path(chosen)
        if root.exists() and any(root.iterdir()):
            pytest.fail(f"LLM_LINEAGE_UI_ROOT={root} is not empty")
        dags = root / "dags"
        shutil.copytree(EXAMPLE_DAGS, dags, ignore=shutil.ignore_patterns("__pycache__"))
        airflow = RealAirflow(root, dags_folder=dags)
    else:
        airflow = RealAirflow(tmp_path_factory.mktemp("real-airflow"))
    try:
        with airflow.explained():
            airflow.start()
        yield airflow
    finally:
        airflow.stop()
        logs = ARTIFACTS / "airflow-logs"
        shutil.rmtree(logs, ignore_errors=True)
        airflow.keep_logs(logs)


@dataclass
class Run:
    """One DAG run that finished, with its task instances and the OpenLineage events."""

    dag_id: str
    run_id: str
    state: str
    task_instances: list[dict[str, Any]]
    events: list[dict[str, Any]]

    def complete(self, task_id: str) -> dict[str, Any]:
        [event] = [
            e
            for e in self.events
            if e["eventType"] == "COMPLETE" and e["job"]["name"] == f"{self.dag_id}.{task_id}"
        ]
        return event


def run_id_for(dag_id: str) -> str:
    """A run id with ``:`` and ``+``, which every URL on the way must escape and keep."""
    return f"ui-test:{time.strftime('%Y%m%dT%H%M%S')}+{dag_id}"


@pytest.fixture(scope="session")
def runs(real_airflow: RealAirflow) -> dict[str, Run]:
    """Both example DAGs triggered at once through the REST API, then waited for (bounded)."""
    with real_airflow.explained():
        run_ids = {}
        for dag_id in (PIPELINE, TASKFLOW):
            real_airflow.wait_for_dag(dag_id)
            run_ids[dag_id] = run_id_for(dag_id)
            real_airflow.trigger(dag_id, run_ids[dag_id])
        finished = {
            dag_id: real_airflow.wait_for_run(dag_id, run_id, RUN_TIMEOUT)
            for dag_id, run_id in run_ids.items()
        }
        expected = len(PIPELINE_TASKS) + len(TASKFLOW_TASKS)

        def all_completes() -> list[dict[str, Any]] | None:
            # A task's COMPLETE event may land just after the run's state changed.
            events = read_events(real_airflow.events_file)
            done = [e for e in events if e["eventType"] in ("COMPLETE", "FAIL")]
            tasks = {e["job"]["name"] for e in done if "." in e["job"]["name"]}
            failed = any(run["state"] != "success" for run in finished.values())
            return events if failed or len(tasks) >= expected else None

        events = wait_for("every task's COMPLETE event", all_completes, 60.0, every=1.0)
        return {
            dag_id: Run(
                dag_id,
                run_id,
                finished[dag_id]["state"],
                real_airflow.task_instances(dag_id, run_id),
                [e for e in events if e["job"]["name"].split(".")[0] == dag_id],
            )
            for dag_id, run_id in run_ids.items()
        }


def key(dataset: dict[str, Any]) -> tuple[str, str]:
    return dataset["namespace"], dataset["name"]


def version(dataset: dict[str, Any]) -> str:
    return str(dataset["facets"]["version"]["datasetVersion"])


def test_pipeline_succeeds_with_each_task_in_its_own_process(
    real_airflow: RealAirflow, runs: dict[str, Run]
) -> None:
    run = runs[PIPELINE]
    states = {ti["task_id"]: ti["state"] for ti in run.task_instances}
    with real_airflow.explained():
        assert run.state == "success", states
        assert states == dict.fromkeys(PIPELINE_TASKS, "success")
    pids = [ti["pid"] for ti in run.task_instances]
    assert None not in pids and len(set(pids)) == len(pids), pids
    for event in run.events:
        validate_event(event)
    extract, curate, tokenize, fine_tune = (
        run.complete(task) for task in ("extract_documents", "curate", "tokenize", "fine_tune")
    )
    # Each step read what the one before wrote, found through XCom from another process.
    [text] = [d for d in extract["outputs"] if key(d) == key(curate["inputs"][0])]
    assert version(curate["inputs"][0]) == version(text)
    curated = curate["outputs"][0]
    assert (key(tokenize["inputs"][0]), version(tokenize["inputs"][0])) == (
        key(curated),
        version(curated),
    )
    [tokens] = tokenize["outputs"]
    tokens_in, base_in = fine_tune["inputs"]
    assert (key(tokens_in), version(tokens_in)) == (key(tokens), version(tokens))
    xcom = real_airflow.api(
        "GET",
        f"/dags/{PIPELINE}/dagRuns/{quote(run.run_id)}/taskInstances/prepare_base_model"
        "/xcomEntries/return_value",
        params={"deserialize": True},
    )
    assert xcom.status_code == 200, xcom.text
    assert base_in["name"] == xcom.json()["value"]
    [adapter] = fine_tune["outputs"]
    assert Path(adapter["name"]).is_relative_to(real_airflow.output), adapter["name"]
    assert (Path(adapter["name"]) / "adapter_model.safetensors").is_file()


def test_runs_under_a_scheduler_log_no_asset_errors(
    real_airflow: RealAirflow, runs: dict[str, Run]
) -> None:
    """The workers' task logs and the scheduler's, DAG processor's and API server's logs hold no
    ``Asset not found`` error (the task SDK's look-up of a URI Airflow has no asset for), and the
    DAG processor never took a sample document for a DAG file (``.airflowignore``)."""
    assert {run.state for run in runs.values()} == {"success"}
    task_logs = [p for p in (real_airflow.home / "logs").rglob("*") if p.is_file()]
    assert any(f"dag_id={PIPELINE}" in str(p) for p in task_logs)  # the workers' logs are here
    components = [p for p in real_airflow.logs.rglob("*") if p.is_file()]
    noisy = [
        f"{path.name}: {line[:300]}"
        for path in [*task_logs, *components]
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines()
        if "Asset not found" in line
    ]
    assert noisy == [], noisy[:5]
    # the DAG processor writes a log per file it parses: the DAG files, never a document
    parsed = [p.name for p in task_logs if "dag_processor" in p.parts]
    assert f"{PIPELINE}.py.log" in parsed, parsed
    assert not [name for name in parsed if not name.endswith(".py.log")], parsed


def test_taskflow_hooks_report_exactly_each_tasks_datasets(runs: dict[str, Run]) -> None:
    """With a fresh process per task, each task's events carry only what its own hook reported.

    (``airflow dags test`` shares one hook lineage collector between tasks, so the DAG test of
    this example can only check what each task adds.)
    """
    run = runs[TASKFLOW]
    assert run.state == "success", [(ti["task_id"], ti["state"]) for ti in run.task_instances]
    assert {ti["task_id"] for ti in run.task_instances} == TASKFLOW_TASKS
    for event in run.events:
        validate_event(event)
    extract, tokenize, fine_tune, base = (
        run.complete(task) for task in ("extract", "tokenize", "fine_tune", "prepare_base_model")
    )
    assert (base["inputs"], base["outputs"]) == ([], [])
    text = next(d for d in extract["outputs"] if d["name"].endswith("text.parquet"))
    assert len(extract["inputs"]) == 1 and len(extract["outputs"]) == 2
    assert [key(d) for d in tokenize["inputs"]] == [key(text)]
    [tokens] = tokenize["outputs"]
    assert {key(d) for d in fine_tune["inputs"]} == {
        key(tokens),
        ("file", str(Path(tokens["name"]).parent.parent / "tiny-base-model")),
    }
    assert [Path(d["name"]).name for d in fine_tune["outputs"]] == ["adapter"]


# -- the UI in headless Chromium ----------------------------------------------------------------


def browser_prerequisites() -> None:
    """Skip when the browser is missing on a developer's machine; fail in CI."""
    missing = []
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if importlib.util.find_spec("playwright") is None:
        missing.append("the playwright package (pip install -e '.[test]')")
    if not missing:
        return
    message = "browser tests need " + " and ".join(missing)
    if os.environ.get("CI"):
        pytest.fail(f"{message}; CI is set, so this fails instead of skipping")
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module scope: Playwright's sync API keeps an event loop running in the main thread while
    it is open, and later tests that call ``asyncio.run`` (the Amazon provider's S3 filesystem
    does) would fail under it."""
    browser_prerequisites()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"], timeout=60_000
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser, real_airflow: RealAirflow) -> Iterator[Page]:
    """A logged-in page (all users are admins: ``/auth/token/login`` sets the cookie)."""
    context = browser.new_context(viewport={"width": 1440, "height": 1200})
    context.set_default_timeout(PAGE_TIMEOUT * 1000)
    page = context.new_page()
    response = page.goto(f"{real_airflow.base_url}/auth/token/login")
    assert response is not None and response.ok, response and response.status
    assert any(c["name"] == "_token" for c in context.cookies()), context.cookies()
    yield page
    context.close()


def screenshot(page: Page, name: str, text: str | None = None) -> Path:
    """``<name>.png`` in the artifacts folder, and the text read from the page as ``<name>.txt``."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if text is not None:
        path.with_suffix(".txt").write_text(text)
    return path


Check = tuple[str, Callable[[str], bool]]


def settle(read: Callable[[], str], checks: list[Check], timeout: float = PAGE_TIMEOUT) -> str:
    """The text ``read`` gives once every check holds, or when ``timeout`` ran out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            text = read()
        except Exception as error:  # the frame navigates, the page re-renders
            text = f"(could not read the page: {error!r})"
        if all(holds(text) for _, holds in checks) or time.monotonic() > deadline:
            return text
        time.sleep(0.5)


def assert_shows(text: str, checks: list[Check], where: str, shot: Path) -> None:
    failed = [what for what, holds in checks if not holds(text)]
    assert not failed, (
        f"{where} does not show: {'; '.join(failed)}.\nScreenshot: {shot}, all its text: "
        f"{shot.with_suffix('.txt')}\nWhat it shows:\n{text[:3000]}"
    )


def near(label: str, value: object) -> Callable[[str], bool]:
    """``value`` as a number of its own next to ``label`` (``12 documents``, ``r: 8``)."""
    number = rf"(?<![\w.,]){re.escape(str(value))}(?![\w.,])"
    pattern = re.compile(rf"{number}[^\d]{{0,20}}?{label}|{label}[^\d]{{0,40}}?{number}", re.I)
    return lambda text: pattern.search(text) is not None


def contains(*needles: str) -> Callable[[str], bool]:
    """True when the text holds any of the needles (case-insensitive)."""
    return lambda text: any(n.lower() in text.lower() for n in needles)


def short_name(dataset: dict[str, Any]) -> str:
    """The last two parts of a dataset's name: enough to tell text, tokens and adapter apart."""
    return "/".join(Path(dataset["name"]).parts[-2:])


def open_lineage_tab(page: Page, url: str) -> Frame:
    """Open ``url``, click its "Lineage" tab, and return the frame the tab shows."""
    page.goto(url)
    tab = page.get_by_role("link", name=re.compile(r"^\s*Lineage\s*$"))
    try:
        tab.first.wait_for(state="visible")
    except Exception as error:
        shot = screenshot(page, "missing-lineage-tab")
        raise AssertionError(
            f"no Lineage tab on {url} (screenshot {shot}); tabs and links: "
            f"{page.get_by_role('link').all_inner_texts()}"
        ) from error
    tab.first.click()
    frame = page.locator("iframe").first
    frame.wait_for(state="attached")
    handle = frame.element_handle()
    assert handle is not None
    content = wait_for("the Lineage frame", handle.content_frame, PAGE_TIMEOUT, every=0.5)
    content.wait_for_load_state()
    return content


def lineage_of(frame: Frame) -> str:
    return frame.locator("body").inner_text()


def test_task_instance_lineage_tab(page: Page, real_airflow: RealAirflow, runs: dict[str, Run]):
    run = runs[PIPELINE]
    extract, tokenize, fine_tune = (
        run.complete(task) for task in ("extract_documents", "tokenize", "fine_tune")
    )
    collection = extract["inputs"][0]["facets"]["llmLineage_documentCollection"]
    [tokens] = tokenize["outputs"]
    transforms = [t["name"] for t in tokens["facets"]["llmLineage_tokenization"]["transforms"]]
    adapter = fine_tune["outputs"][0]["facets"]["llmLineage_loraAdapter"]
    fingerprint = adapter["baseModel"]["fingerprint"]
    checks: list[Check] = [
        (f"the document count {collection['documentCount']}",
         near(r"documents?", collection["documentCount"])),
        (f"an author of {[a['name'] for a in collection['authors']]}",
         contains(*(a["name"] for a in collection["authors"]))),
        (f"a transform step of {transforms}", contains(*transforms)),
        (f"the LoRA rank {adapter['r']}", near(r"(?:\br\b|rank)", adapter["r"])),
        (f"the base model fingerprint {fingerprint[:HASH_PREFIX]}...",
         contains(fingerprint[:HASH_PREFIX])),
    ]  # fmt: skip
    url = f"{real_airflow.base_url}/dags/{PIPELINE}/runs/{quote(run.run_id)}/tasks/fine_tune"
    frame = open_lineage_tab(page, url)
    text = settle(lambda: lineage_of(frame), checks)
    shot = screenshot(page, "task-instance-lineage", text)
    assert_shows(text, checks, f"the Lineage tab of fine_tune ({frame.url})", shot)


def test_dag_run_lineage_view(page: Page, real_airflow: RealAirflow, runs: dict[str, Run]):
    run = runs[PIPELINE]
    tokenize, fine_tune = run.complete("tokenize"), run.complete("fine_tune")
    chain = {
        "text": tokenize["inputs"][0],
        "tokens": tokenize["outputs"][0],
        "adapter": fine_tune["outputs"][0],
    }
    checks: list[Check] = []
    for kind, dataset in chain.items():
        checks.append((f"the {kind} name {short_name(dataset)}", contains(short_name(dataset))))
        prefix = version(dataset)[:HASH_PREFIX]
        checks.append((f"the {kind} version {prefix}...", contains(prefix)))
    frame = open_lineage_tab(
        page, f"{real_airflow.base_url}/dags/{PIPELINE}/runs/{quote(run.run_id)}"
    )
    text = settle(lambda: lineage_of(frame), checks)
    shot = screenshot(page, "dag-run-lineage", text)
    assert_shows(text, checks, f"the DAG run's Lineage view ({frame.url})", shot)
    names = [short_name(d) for d in chain.values()]
    positions = [text.find(name) for name in names]
    assert positions == sorted(positions), f"not in chain order {names}: {text[:3000]}"


def _wait_for_assets(real_airflow: RealAirflow, names: list[str], seconds: float = 120) -> None:
    """Until the REST API lists an asset for each name: the scheduler activates new assets."""
    deadline = time.monotonic() + seconds
    listed: list[str] = []
    while time.monotonic() < deadline:
        response = real_airflow.api("GET", "/assets", params={"limit": 200})
        listed = [asset["uri"] for asset in response.json().get("assets", [])]
        if all(any(uri.endswith(name) for uri in listed) for name in names):
            return
        time.sleep(2)
    raise AssertionError(f"assets for {names} not listed within {seconds:g} s: {listed}")


def test_assets_page_lists_the_chain(page: Page, real_airflow: RealAirflow, runs: dict[str, Run]):
    run = runs[PIPELINE]
    tokenize, fine_tune = run.complete("tokenize"), run.complete("fine_tune")
    extract = run.complete("extract_documents")
    datasets = {
        "corpus": extract["inputs"][0],  # templated inputs: registered by their first sighting
        "text": tokenize["inputs"][0],
        "tokens": tokenize["outputs"][0],
        "base model": next(d for d in fine_tune["inputs"] if "tiny-base-model" in d["name"]),
        "adapter": fine_tune["outputs"][0],
    }
    checks: list[Check] = [
        (f"the {kind} asset {short_name(d)}", contains(short_name(d)))
        for kind, d in datasets.items()
    ]
    _wait_for_assets(real_airflow, [d["name"] for d in datasets.values()])
    page.goto(f"{real_airflow.base_url}/assets")
    text = settle(lambda: page.locator("body").inner_text(), checks)
    shot = screenshot(page, "assets", text)
    assert_shows(text, checks, "the Assets page", shot)
