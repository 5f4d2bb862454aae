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


def test_the_hook_is_built_once_and_kept_out_of_task_info() -> None:
    """OpenLineage's full task info copies every attribute but ``_hook``: events stay the same."""
    import copy

    from airflow.providers.openlineage.utils.utils import TaskInfoComplete

    operator = _operator(source_conn_id="src", destination_conn_id="dst")
    hook = operator.hook
    assert operator.hook is hook
    assert (hook.source_conn_id, hook.destination_conn_id, hook.hook_lineage) == (
        "src",
        "dst",
        False,
    )
    assert operator.__dict__["_hook"] is hook
    assert "hook" not in operator.__dict__
    assert {"hook", "_hook"}.isdisjoint(TaskInfoComplete(operator))
    copied = copy.deepcopy(operator)
    assert copied.hook is not hook and copied.hook.source_conn_id == "src"


def test_lineage_follows_the_rendered_fields() -> None:
    """The plan is built from the fields as they are when lineage is asked for, not as parsed."""
    operator = _operator(source="{{ params.src }}", destination="/out")
    operator.source = "/rendered"
    lineage = operator.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in lineage.inputs] == [("file", "/rendered")]
    operator.destination = "/elsewhere"
    outputs = operator.get_openlineage_facets_on_failure(None).outputs
    assert outputs == []  # a failed run wrote nothing
    complete = operator.get_openlineage_facets_on_complete(None)  # no run: as at start
    assert [d.name for d in complete.outputs] == [
        "/elsewhere/text.parquet",
        "/elsewhere/manifest.parquet",
    ]
