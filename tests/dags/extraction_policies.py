"""Test DAG: one corpus, three author policies, and a @task that calls the hook directly."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG, task

from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.operators.extraction import DocumentExtractionOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG(
    "extraction_policies",
    schedule=None,
    start_date=datetime.datetime(2024, 1, 1),
    doc_md="Extraction with each author policy, and the hook from a @task.",
):
    for policy in ("include", "hash", "omit"):
        DocumentExtractionOperator(
            task_id=f"extract_{policy}",
            source="{{ params.corpus }}",
            destination=f"{OUT}/{policy}",
            author_policy=policy,
            author_salt="{{ params.salt }}",
            params={"corpus": CORPUS, "salt": "test-salt"},
        )

    @task
    def extract_with_hook() -> int:
        hook = DocumentExtractionHook()
        run = hook.extract(hook.plan(CORPUS, f"{OUT}/taskflow"))
        return run.result.summary.documents

    extract_with_hook()
