"""Transformation-step parameters through the real OpenLineage provider, in a real DAG run.

Airflow's secrets masker hides the value of every key that contains "token", so the provider's
redactor (on every event) and ``as_sent`` (on the XCom lineage document) turned the encode
step's ``tokenizer`` and ``tokenizer_sha256`` into ``***``. Parameters now pass the provider's
own secret rules, and the values Airflow knows as secrets are still masked: here a sensitive
Variable rendered into the tokenizer revision.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from airflow_db import AirflowDb
from conftest import TESTS, DagRun, RunDag
from corpora import make_mixed_corpus
from llm_lineage.lineage.chain import read_chain
from tokenizers_fixtures import train_bpe

pytestmark = pytest.mark.dag

SECRET = "Kx9Qm-variable-not-for-lineage"
TRANSFORMATIONS = "llmLineage_transformations"
TOKENIZATION = "llmLineage_tokenization"


class StepRun:
    def __init__(
        self, run: DagRun, db: AirflowDb, tokenizer: Path, events_file: Path, out: Path
    ) -> None:
        self.run, self.db, self.tokenizer, self.events_file = run, db, tokenizer, events_file
        self.out = out

    def xcom(self, task_id: str) -> dict[str, Any]:
        [row] = self.db.rows(
            "SELECT value FROM xcom WHERE dag_id = 'step_parameters' AND task_id = ? "
            "AND key = 'llm_lineage'",
            task_id,
        )
        value: dict[str, Any] = json.loads(row["value"])
        return value


@pytest.fixture(scope="module")
def steps(run_dag: RunDag, airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> StepRun:
    root = tmp_path_factory.mktemp("step-parameters")
    corpus = make_mixed_corpus(root / "corpus")
    tokenizer = train_bpe(root / "bpe")
    run = run_dag(
        TESTS / "dags" / "step_parameters.py",
        "step_parameters",
        env={
            "TEST_CORPUS": str(corpus),
            "TEST_OUTPUT": str(root / "out"),
            "TEST_TOKENIZER": str(tokenizer),
            "AIRFLOW_VAR_REVISION_SECRET": SECRET,
        },
    )
    assert run.returncode == 0, run.output[-5000:]
    [events_file] = tmp_path_factory.getbasetemp().glob("step_parameters[0-9]*/events.jsonl")
    return StepRun(run, AirflowDb(airflow_home), tokenizer, events_file, root / "out")


def _steps(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    [tokens] = [d for d in document["outputs"] if TRANSFORMATIONS in d["facets"]]
    return {step["name"]: step for step in tokens["facets"][TRANSFORMATIONS]["steps"]}


def test_events_and_xcom_name_the_tokenizer(steps: StepRun) -> None:
    sha = hashlib.sha256(steps.tokenizer.read_bytes()).hexdigest()
    event = steps.run.of("tokenize", "COMPLETE")
    for document in (event, steps.xcom("tokenize")):
        encode = _steps(document)["encode"]["parameters"]
        assert encode["tokenizer"] == str(steps.tokenizer)
        assert encode["tokenizer_sha256"] == sha
        assert encode["add_special_tokens"] is False


def test_a_secret_airflow_knows_is_still_masked_in_parameters(steps: StepRun) -> None:
    event = steps.run.of("tokenize", "COMPLETE")
    for document in (event, steps.xcom("tokenize")):
        assert _steps(document)["encode"]["parameters"]["revision"] == "rev-***"
        # the provider's redactor passes over this facet whole: its key contains "token"
        [tokens] = [d for d in document["outputs"] if TOKENIZATION in d["facets"]]
        assert tokens["facets"][TOKENIZATION]["tokenizer"]["revision"] == "rev-***"
    assert SECRET not in steps.events_file.read_text()
    # the tokens' footer carries the chain to the next step: masked there too, still readable
    footer = pq.read_metadata(steps.out / "tokens" / "tokens.parquet").metadata
    assert SECRET.encode() not in b"".join(footer.values())
    _, chain = read_chain(footer)
    assert [s.parameters["revision"] for s in chain if s.name == "encode"] == ["rev-***"]
    assert not steps.db.rows("SELECT 1 FROM xcom WHERE value LIKE ?", f"%{SECRET}%")
