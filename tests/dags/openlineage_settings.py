"""Test DAG: one extraction, run with OpenLineage settings that cannot send anything."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator

with DAG(
    "openlineage_settings",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    doc_md="One extraction; the test breaks the OpenLineage transport setting.",
):
    DocumentExtractionOperator(
        task_id="extract",
        source=os.environ.get("TEST_CORPUS", "/nonexistent"),
        destination=os.environ.get("TEST_OUTPUT", "/nonexistent"),
    )
