"""Test DAG: ``@task`` functions, one calling the extraction hook, two calling none of ours.

``plain_before`` runs before any hook lineage was collected, ``plain_after`` after the hook
task (under ``airflow dags test`` all three share one process and its hook lineage collector).
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG, task

from llm_lineage.hooks.extraction import DocumentExtractionHook

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG("provenance_taskflow", schedule=None, start_date=datetime.datetime(2024, 1, 1)):

    @task
    def plain_before() -> int:
        return 1

    @task
    def extract_with_hook() -> int:
        hook = DocumentExtractionHook()
        return hook.extract(hook.plan(CORPUS, f"{OUT}/extracted")).result.summary.documents

    @task
    def plain_after() -> int:
        return 2

    plain_before() >> extract_with_hook() >> plain_after()
