"""Code location and environment for ``@task`` functions that call our hooks (real DAG runs).

``operators/taskflow.py``'s ``TaskFlowExtractor`` is enabled as a platform team enables it,
with ``AIRFLOW__OPENLINEAGE__EXTRACTORS``. The DAG (``tests/dags/provenance_taskflow.py``) runs
from a ``git init`` repository, then from a folder outside git; a third run, from the
repository without the extractor, is what the OpenLineage provider gives on its own.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS, DagRun, RunDag
from provenance_runs import git

pytestmark = pytest.mark.dag

EXTRACTOR = {"AIRFLOW__OPENLINEAGE__EXTRACTORS": "llm_lineage.operators.taskflow.TaskFlowExtractor"}
HOOK_TASK = "extract_with_hook"
PLAIN_TASKS = ("plain_before", "plain_after")
OURS = ("llmLineage_environment",)


@dataclass
class Runs:
    commit: str
    in_git: DagRun
    outside: DagRun
    without_extractor: DagRun


@pytest.fixture(scope="module")
def runs(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("taskflow-provenance")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "a.md").write_text("# A\n\nA note about adapters.\n")
    (corpus / "b.txt").write_text("Another note, in plain text.\n")
    repo = root / "repo"
    (repo / "dags").mkdir(parents=True)
    shutil.copy(TESTS / "dags" / "provenance_taskflow.py", repo / "dags")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://user:s3cret@example.com/org/flows.git")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    commit = git(repo, "rev-parse", "HEAD")
    outside_folder = root / "not-a-checkout"
    outside_folder.mkdir()
    shutil.copy(TESTS / "dags" / "provenance_taskflow.py", outside_folder)

    def run(folder: Path, out: str, extractor: bool) -> DagRun:
        env = {"TEST_CORPUS": str(corpus), "TEST_OUTPUT": str(root / out)}
        done = run_dag(
            folder / "provenance_taskflow.py",
            "provenance_taskflow",
            env={**env, **(EXTRACTOR if extractor else {})},
            in_place=True,
        )
        assert done.returncode == 0, done.output[-5000:]
        return done

    return Runs(
        commit=commit,
        in_git=run(repo / "dags", "in-git", extractor=True),
        outside=run(outside_folder, "outside", extractor=True),
        without_extractor=run(repo / "dags", "plain", extractor=False),
    )


def test_the_hook_task_names_the_commit_it_ran(runs: Runs) -> None:
    event = runs.in_git.of(HOOK_TASK, "COMPLETE")
    if True:
        code = event["job"]["facets"]["sourceCodeLocation"]
        assert code["type"] == "git"
        assert code["version"] == runs.commit
        assert code["branch"] == "main"
        assert code["path"] == "dags/provenance_taskflow.py"
        assert code["repoUrl"] == "https://example.com/org/flows.git"
        environment = event["run"]["facets"]["llmLineage_environment"]
        assert environment["sourceCode"] == {
            "origin": "gitCheckout",
            "repoUrl": code["repoUrl"],
            "path": code["path"],
            "commit": runs.commit,
            "branch": "main",
            "dirty": False,
        }
        assert {"pyarrow", "pypdfium2", "python-docx"} <= set(environment["libraries"])
        assert len(environment["fingerprint"]) == 64
        assert "s3cret" not in str(event)


def test_the_hook_task_keeps_its_datasets(runs: Runs) -> None:
    """The extractor adds facets; the datasets are the hook lineage the provider reports."""
    ours = runs.in_git.of(HOOK_TASK, "COMPLETE")
    provider = runs.without_extractor.of(HOOK_TASK, "COMPLETE")
    assert [d["name"].rsplit("/", 2)[-2:] for d in ours["outputs"]] == [
        d["name"].rsplit("/", 2)[-2:] for d in provider["outputs"]
    ]
    assert [d["name"] for d in ours["inputs"]] == [d["name"] for d in provider["inputs"]]
    assert ours["outputs"] and ours["inputs"]
    assert _keys(ours) == _keys(provider) | {("job", "sourceCodeLocation"), *_ours()}


def test_start_has_nothing_yet(runs: Runs) -> None:
    """START is sent before the function runs: no hook has recorded anything."""
    start = runs.in_git.of(HOOK_TASK, "START")
    assert "sourceCodeLocation" not in start["job"]["facets"]
    assert "llmLineage_environment" not in start["run"]["facets"]


def test_a_dag_outside_git_has_no_code_location(runs: Runs) -> None:
    event = runs.outside.of(HOOK_TASK, "COMPLETE")
    assert "sourceCodeLocation" not in event["job"]["facets"]
    environment = event["run"]["facets"]["llmLineage_environment"]
    assert "sourceCode" not in environment
    assert (
        environment["fingerprint"]
        == (
            runs.in_git.of(HOOK_TASK, "COMPLETE")["run"]["facets"]["llmLineage_environment"][
                "fingerprint"
            ]
        )
    )


@pytest.mark.parametrize("task_id", PLAIN_TASKS)
def test_tasks_without_our_hooks_get_what_the_provider_gives(runs: Runs, task_id: str) -> None:
    for event_type in ("START", "COMPLETE"):
        with_extractor = runs.in_git.of(task_id, event_type)
        provider = runs.without_extractor.of(task_id, event_type)
        assert _keys(with_extractor) == _keys(provider)
        assert not any(key.startswith("llmLineage_") for _, key in _keys(with_extractor))
        assert "sourceCodeLocation" not in with_extractor["job"]["facets"]
        assert len(with_extractor.get("inputs", [])) == len(provider.get("inputs", []))
        assert len(with_extractor.get("outputs", [])) == len(provider.get("outputs", []))


def _keys(event: dict[str, Any]) -> set[tuple[str, str]]:
    return {("run", key) for key in event["run"]["facets"]} | {
        ("job", key) for key in event["job"]["facets"]
    }


def _ours() -> set[tuple[str, str]]:
    return {("run", key) for key in OURS}
