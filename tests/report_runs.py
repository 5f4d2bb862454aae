"""The report tests' one scenario: three real runs of ``tests/dags/report_pipeline.py``.

Run A extracts, tokenizes and fine-tunes corpus A into ``out-a`` and also extracts a small
corpus whose text nothing reads. Run B does the same to a copy of corpus A under another name,
into ``out-b``. Run C trains ``out-a`` again with another block size and seed, so its tokens and
adapter get new versions. The DAG runs are the slow part (about 25 s each on 2 cores), so they
happen once per session, whichever test module asks first.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS, DagRun, RunDag
from corpora import make_mixed_corpus
from lora_fixtures import tiny_base

SAMPLE_CORPUS = TESTS.parent / "example_dags" / "data" / "sample_corpus"
SALT = "report-test-salt"


@dataclass
class Scenario:
    root: Path
    corpus_a: Path
    corpus_b: Path
    unused_corpus: Path
    base: Path
    out_a: Path
    out_b: Path
    runs: list[DagRun]
    events_file: Path

    @property
    def events(self) -> list[dict[str, Any]]:
        return [event for run in self.runs for event in run.events]

    def complete(self, run: int, task_id: str) -> dict[str, Any]:
        return self.runs[run].of(task_id, "COMPLETE")


_BUILT: dict[str, Scenario] = {}


def build(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    """Run the three DAG runs (once per session) and write all their events to one file."""
    if "scenario" in _BUILT:
        return _BUILT["scenario"]
    root = tmp_path_factory.mktemp("report")
    corpus_a = root / "corpus-a"
    shutil.copytree(SAMPLE_CORPUS, corpus_a)
    corpus_b = root / "corpus-b-copy"
    shutil.copytree(corpus_a, corpus_b)
    unused = make_mixed_corpus(root / "unused-corpus")
    base = tiny_base(root / "base")
    out_a, out_b = root / "out-a", root / "out-b"
    common = {"TEST_BASE": str(base)}
    plans = [
        {"TEST_CORPUS": corpus_a, "TEST_OUTPUT": out_a, "REPORT_UNUSED_CORPUS": unused},
        {"TEST_CORPUS": corpus_b, "TEST_OUTPUT": out_b},
        {"TEST_CORPUS": corpus_a, "TEST_OUTPUT": out_a, "REPORT_BLOCK_SIZE": 16, "REPORT_SEED": 7},
    ]
    runs = []
    for plan in plans:
        env = {**common, **{key: str(value) for key, value in plan.items()}}
        run = run_dag(TESTS / "dags" / "report_pipeline.py", "report_pipeline", env=env)
        assert run.returncode == 0, run.output[-5000:]
        runs.append(run)
    events_file = root / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for run in runs for e in run.events))
    scenario = Scenario(root, corpus_a, corpus_b, unused, base, out_a, out_b, runs, events_file)
    _BUILT["scenario"] = scenario
    return scenario


@pytest.fixture(scope="session", name="scenario")
def report_scenario(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    return build(run_dag, tmp_path_factory)
