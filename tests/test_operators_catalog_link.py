"""The "Lineage in catalog" extra link: its URL template, and the option and link as declared.

The link of a real run's tasks is checked in ``test_assets_pipeline.py``.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from conftest import AIRFLOW
from llm_lineage.get_provider_info import get_provider_info
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.operators.catalog_link import PLACEHOLDERS, CatalogLink, catalog_url
from llm_lineage.operators.extraction import DocumentExtractionOperator


def test_catalog_link_is_empty_without_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    """Unset, the link reads nothing (no XCom here to read) and is empty: the UI shows none."""
    monkeypatch.delenv("AIRFLOW__LLM_LINEAGE__CATALOG_URL_TEMPLATE", raising=False)
    operator = DocumentExtractionOperator(task_id="extract", source="/data", destination="/out")
    key = SimpleNamespace(dag_id="d", task_id="extract", run_id="r", map_index=-1)
    assert CatalogLink().get_link(operator, ti_key=key) == ""
    monkeypatch.setenv("AIRFLOW__LLM_LINEAGE__CATALOG_URL_TEMPLATE", "  ")
    assert CatalogLink().get_link(operator, ti_key=key) == ""


def test_catalog_url_fills_placeholders_url_encoded() -> None:
    dataset = dataset_id("s3://lake/tokens/run 1/tokens.parquet")
    ids = {"dag_id": "d", "task_id": "t", "run_id": "manual__2024-01-01T00:00:00+00:00"}
    datahub = (
        "https://datahub.example.com/dataset/"
        "urn:li:dataset:(urn:li:dataPlatform:{platform},{name},PROD)/Lineage"
    )
    assert catalog_url(datahub, dataset, **ids) == (
        "https://datahub.example.com/dataset/urn:li:dataset:(urn:li:dataPlatform:s3,"
        "tokens%2Frun%201%2Ftokens.parquet,PROD)/Lineage"
    )
    assert catalog_url("{namespace}|{uri}|{run_id}", dataset, **ids) == (
        "s3%3A%2F%2Flake|s3%3A%2F%2Flake%2Ftokens%2Frun%25201%2Ftokens.parquet|"
        "manual__2024-01-01T00%3A00%3A00%2B00%3A00"
    )


@pytest.mark.parametrize("template", ["x/{nope}", "x/{name.upper}", "x/{name!r}", "x/{0}", "x/{"])
def test_catalog_url_with_a_broken_template_is_empty(template: str) -> None:
    assert catalog_url(template, dataset_id("/data/t.parquet"), dag_id="d") == ""


def test_provider_info_declares_the_link_and_the_config_option() -> None:
    import airflow

    schema_file = Path(airflow.__file__).parent / "provider_info.schema.json"
    info = get_provider_info()
    jsonschema.validate(info, json.loads(schema_file.read_text()))
    assert info["extra-links"] == ["llm_lineage.operators.catalog_link.CatalogLink"]
    option = info["config"]["llm_lineage"]["options"]["catalog_url_template"]
    assert option["default"] == ""
    assert set(re.findall(r"\{(\w+)\}", option["description"])) == set(PLACEHOLDERS)
    assert "/lineage/dataset/{namespace}/{name}" in option["description"]  # Marquez
    assert "urn:li:dataPlatform:{platform},{name},PROD" in option["description"]  # DataHub


@pytest.mark.dag
def test_airflow_lists_the_option_and_the_link(airflow_home: Path) -> None:
    config = subprocess.run(
        [str(AIRFLOW), "config", "list", "--section", "llm_lineage", "--include-descriptions"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "catalog_url_template" in config.stdout, config.stdout + config.stderr[-2000:]
    links = subprocess.run(
        [str(AIRFLOW), "providers", "links"], capture_output=True, text=True, timeout=120
    )
    assert "llm_lineage.operators.catalog_link.CatalogLink" in links.stdout
