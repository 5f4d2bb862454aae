"""Test DAG: each way an extraction task fails, so each FAIL event can be checked."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
BAD = os.environ.get("TEST_BAD_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG("extraction_failures", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="fail_fast", source=CORPUS, destination=f"{OUT}/fail_fast", on_error="fail"
    )
    DocumentExtractionOperator(task_id="all_bad", source=BAD, destination=f"{OUT}/all_bad")
    DocumentExtractionOperator(
        task_id="missing_source", source=f"{CORPUS}/no-such-folder", destination=f"{OUT}/missing"
    )
