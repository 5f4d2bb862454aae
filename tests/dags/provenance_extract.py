"""Test DAG: one extraction, to see the code location of a DAG in and out of a git checkout."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG("provenance_extract", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        workers=0,
        environment_variables=["LLM_LINEAGE_TEST_REGION", "LLM_LINEAGE_TEST_UNSET"],
    )
