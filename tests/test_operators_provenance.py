"""Every operator's START lineage names its code and environment (no DAG run needed)."""

from __future__ import annotations

import datetime
import subprocess
from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator
from llm_lineage.operators.validation import InvalidParameterError

HERE = Path(__file__).resolve()


def _operators(**extra: Any) -> list[Any]:
    return [
        DocumentExtractionOperator(task_id="extract", source="/c", destination="/o", **extra),
        TokenizationOperator(
            task_id="tokenize", source="/t.parquet", destination="/o", tokenizer="/tok", **extra
        ),
        LoRAFineTuningOperator(
            task_id="fine_tune", dataset="/d.parquet", base_model="/b", output="/a", **extra
        ),
    ]


@pytest.mark.parametrize("names", [["GITHUB_PAT"], "REGION"])
def test_environment_variables_are_checked_at_parse_time_on_every_operator(names: Any) -> None:
    for make in (
        lambda: DocumentExtractionOperator(
            task_id="x", source="/c", destination="/o", environment_variables=names
        ),
        lambda: TokenizationOperator(
            task_id="x", source="/t", destination="/o", tokenizer="/k", environment_variables=names
        ),
    ):
        with pytest.raises(InvalidParameterError, match="parameter 'environment_variables'"):
            make()


def test_start_lineage_names_the_environment_and_the_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LLM_LINEAGE_TEST_REGION", "eu-west-1")
    for operator in _operators(environment_variables=["LLM_LINEAGE_TEST_REGION"]):
        lineage = operator.get_openlineage_facets_on_start()
        environment = lineage.run_facets["llmLineage_environment"]
        assert set(operator.step_libraries) == set(environment.libraries)
        variables = lineage.run_facets["environmentVariables"].environmentVariables
        assert [(v.name, v.value) for v in variables] == [("LLM_LINEAGE_TEST_REGION", "eu-west-1")]
        assert "sourceCodeLocation" not in lineage.job_facets  # in no DAG: no DAG file


def test_a_dag_in_this_checkout_names_its_commit() -> None:
    """This test file is in the project's own git checkout: its DAG's code is HEAD."""
    head = subprocess.run(
        ["git", "-C", str(HERE.parent), "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    with DAG("provenance_unit", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
        operators = _operators()
    for operator in operators:
        lineage = operator.get_openlineage_facets_on_start()
        code = lineage.job_facets["sourceCodeLocation"]
        assert (code.type, code.version, code.path) == ("git", head, "tests/" + HERE.name)
        state = lineage.run_facets["llmLineage_environment"].sourceCode
        assert state.commit == head and state.dirty in (True, False)
