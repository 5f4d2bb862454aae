"""The compliance tests' one real run of ``tests/dags/compliance_pipeline.py``.

The sample corpus (with a document that holds an e-mail address, so curation counts personal
data) goes through extract (with a source declaration), curate, tokenize and fine-tune. The run
is the slow part (about half a minute on 2 cores), so it happens once per session, whichever
test module asks first; every export test reads its events file.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import TESTS, DagRun, RunDag
from lora_fixtures import tiny_base

SAMPLE_CORPUS = TESTS.parent / "example_dags" / "data" / "sample_corpus"
DECLARATION = {
    "kind": "licensed_private",
    "licence": "CC-BY-4.0",
    "opt_out_respected": True,
    "public_name": "Lineage team handbook",
}
#: A sentence of a document that must never reach an export (and an address curation redacts).
SECRET_SENTENCE = "The quarterly ledger reconciliation for Ardent Vole finished on time."
EMAIL = "ardent.vole@example.org"


@dataclass
class ComplianceRun:
    root: Path
    corpus: Path
    base: Path
    out: Path
    run: DagRun
    events_file: Path

    def complete(self, task_id: str) -> dict[str, Any]:
        return self.run.of(task_id, "COMPLETE")

    @property
    def adapter(self) -> Path:
        return self.out / "adapter"


_BUILT: dict[str, ComplianceRun] = {}


def build(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> ComplianceRun:
    if "run" in _BUILT:
        return _BUILT["run"]
    root = tmp_path_factory.mktemp("compliance")
    corpus = root / "corpus"
    shutil.copytree(SAMPLE_CORPUS, corpus)
    (corpus / "notes" / "ledger.txt").write_text(
        f"{SECRET_SENTENCE} Questions go to {EMAIL}, who keeps the books in order.\n" * 3,
        encoding="utf-8",
    )
    declaration = root / "declaration.yaml"
    declaration.write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in DECLARATION.items()))
    base = tiny_base(root / "base")
    out = root / "out"
    env = {
        "TEST_CORPUS": str(corpus),
        "TEST_OUTPUT": str(out),
        "TEST_BASE": str(base),
        "COMPLIANCE_DECLARATION": str(declaration),
    }
    run = run_dag(TESTS / "dags" / "compliance_pipeline.py", "compliance_pipeline", env=env)
    assert run.returncode == 0, run.output[-5000:]
    events_file = root / "events.jsonl"
    events_file.write_text("".join(json.dumps(e) + "\n" for e in run.events))
    _BUILT["run"] = ComplianceRun(root, corpus, base, out, run, events_file)
    return _BUILT["run"]


@pytest.fixture(scope="session", name="compliance")
def compliance_run(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> ComplianceRun:
    return build(run_dag, tmp_path_factory)
