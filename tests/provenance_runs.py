"""Real DAG runs from a git checkout, shared by the provenance and ``report diff`` tests.

A repository made with ``git init`` holds ``report_pipeline.py`` (extract, tokenize, fine-tune)
and ``provenance_extract.py``. Run 1 trains from the first commit on 8 documents of the sample
corpus; then one document is added
to the corpus, the seed changes and a second commit changes the DAG file, and run 2 trains the
same adapter location again. Run 3 extracts from a dirty tree (the extraction DAG edited, not
committed), run 4 from a copy of that DAG outside any checkout.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS, DagRun, RunDag
from lora_fixtures import tiny_base

SAMPLE_CORPUS = TESTS.parent / "example_dags" / "data" / "sample_corpus"
#: A remote URL with a credential in it: it must never reach an event.
REMOTE = "https://deploy:ghp_abcdefghijabcdefghijabcdefghij0123@github.com/org/pipelines.git"
ADDED_DOCUMENT = "added-note.md"
#: Left out of the sample corpus: 8 documents, 9 with the added one, so that the document
#: collection's sample (10 at most) names every one and ``report diff`` can name the added one.
LEFT_OUT = (
    "reports/lake-zones.pdf",
    "reports/tokenizer-audit.docx",
    "web/glossary.html",
    "notes/field-notes.txt",
    # the curation examples (a near-duplicate, a German note, an e-mail)
    "notes/berlin-protokoll.txt",
    "notes/dedup-notes-copy.md",
    "notes/support-request.txt",
)


@dataclass
class GitRuns:
    repo: Path
    commits: list[str]
    out: Path
    trainings: list[DagRun]
    dirty: DagRun
    outside: DagRun
    events_file: Path


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def _commit(repo: Path, message: str) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


_BUILT: dict[str, GitRuns] = {}


def build(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> GitRuns:
    if "runs" in _BUILT:
        return _BUILT["runs"]
    root = tmp_path_factory.mktemp("provenance")
    repo = root / "repo"
    (repo / "dags").mkdir(parents=True)
    (repo / "solo").mkdir()
    shutil.copy(TESTS / "dags" / "report_pipeline.py", repo / "dags")
    shutil.copy(TESTS / "dags" / "provenance_extract.py", repo / "solo")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", REMOTE)
    commits = [_commit(repo, "first")]
    corpus = root / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    for left_out in LEFT_OUT:  # a corpus the collection facet's sample lists in full
        (corpus / left_out).unlink()
    out = root / "out"
    env = {"TEST_BASE": str(tiny_base(root / "base")), "TEST_CORPUS": str(corpus)}
    env["TEST_OUTPUT"] = str(out)
    dag = repo / "dags" / "report_pipeline.py"
    trainings = [run_dag(dag, "report_pipeline", env=env, in_place=True)]
    (corpus / ADDED_DOCUMENT).write_text("# Added\n\nOne more note about adapters and lineage.\n")
    with dag.open("a") as file:
        file.write("\n# second version of the pipeline\n")
    commits.append(_commit(repo, "second"))
    seeded = {**env, "REPORT_SEED": "7"}
    trainings.append(run_dag(dag, "report_pipeline", env=seeded, in_place=True))
    solo = repo / "solo" / "provenance_extract.py"
    with solo.open("a") as file:
        file.write("\n# edited, not committed\n")
    small = {"TEST_CORPUS": str(corpus), "LLM_LINEAGE_TEST_REGION": "eu-west-1"}
    dirty = run_dag(
        solo, "provenance_extract", env={**small, "TEST_OUTPUT": str(root / "d")}, in_place=True
    )
    elsewhere = root / "not-a-checkout"
    elsewhere.mkdir()
    shutil.copy(solo, elsewhere)
    outside = run_dag(
        elsewhere / solo.name,
        "provenance_extract",
        env={**small, "TEST_OUTPUT": str(root / "o")},
        in_place=True,
    )
    for run in (*trainings, dirty, outside):
        assert run.returncode == 0, run.output[-5000:]
    events_file = root / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for run in trainings for e in run.events))
    built = GitRuns(repo, commits, out, trainings, dirty, outside, events_file)
    _BUILT["runs"] = built
    return built


@pytest.fixture(scope="session", name="git_runs")
def git_runs_fixture(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> GitRuns:
    return build(run_dag, tmp_path_factory)


def step_events(run: DagRun) -> list[dict[str, Any]]:
    """Every START, COMPLETE and FAIL event of the run's tasks (not the DAG's own events)."""
    return [e for e in run.events if "." in e["job"]["name"]]
