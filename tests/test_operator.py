"""Operator configuration errors surface when the DAG is parsed, naming the parameter."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.validation import InvalidParameterError


def _operator(**overrides: object) -> DocumentExtractionOperator:
    arguments: dict[str, object] = {"task_id": "extract", "source": "/in", "destination": "/out"}
    arguments.update(overrides)
    return DocumentExtractionOperator(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"on_error": "ignore"}, "on_error"),
        ({"author_policy": "anonymize"}, "author_policy"),
        ({"include": []}, "include"),
        ({"include": ["*.pdf", " "]}, "include"),
        ({"max_document_bytes": 0}, "max_document_bytes"),
        ({"source": ""}, "source"),
        ({"destination": None}, "destination"),
    ],
)
def test_wrong_parameter_is_named(overrides: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match=f"parameter '{parameter}'") as raised:
        _operator(**overrides)
    assert "task_id='extract'" in str(raised.value)


def test_defaults_are_valid_and_fields_templated() -> None:
    operator = _operator(source="{{ params.src }}", exclude="*.tmp")
    assert operator.settings.exclude == ("*.tmp",)
    assert operator.settings.on_error == "skip"
    assert {"source", "destination", "author_salt"} <= set(operator.template_fields)


def test_dag_with_a_wrong_parameter_is_an_import_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        textwrap.dedent(
            """
            import datetime
            from airflow.sdk import DAG
            from llm_lineage.operators.extraction import DocumentExtractionOperator

            with DAG("broken", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
                DocumentExtractionOperator(
                    task_id="extract", source="/in", destination="/out", on_error="ignore"
                )
            """
        )
    )
    bag = DagBag(dag_folder=str(tmp_path))
    assert "broken" not in bag.dags
    [message] = bag.import_errors.values()
    assert "parameter 'on_error'" in message and "'skip' or 'fail'" in message


def test_provider_is_registered() -> None:
    from airflow.providers_manager import ProvidersManager

    providers = ProvidersManager().providers
    assert "airflow-provider-llm-lineage" in providers
