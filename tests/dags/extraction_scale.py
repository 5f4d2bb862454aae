"""Test DAG: a corpus of 10,000 documents, to check that events stay small."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator

with DAG("extraction_scale", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract_10k",
        source=os.environ.get("TEST_CORPUS", "/nonexistent"),
        destination=os.environ.get("TEST_OUTPUT", "/nonexistent"),
    )
