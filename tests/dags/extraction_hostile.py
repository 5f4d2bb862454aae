"""Test DAG: a normal corpus salted with hostile files, read with tight per-document limits."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG("extraction_hostile", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract_hostile",
        source=CORPUS,
        destination=OUT,
        max_document_bytes=4 * 1024 * 1024,
        max_document_seconds=20,
        workers=2,
    )
