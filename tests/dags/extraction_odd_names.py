"""Test DAG: corpora whose file and folder names are anything the OS allows (not UTF-8 included).

``TEST_CORPUS`` holds the odd names and one empty file with a Latin-1 name (a failure to
record); ``TEST_ODD_SOURCE`` is a source folder whose own name is not UTF-8.
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG, task

from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.operators.extraction import DocumentExtractionOperator

# os.environ decodes as the file system does: a name that is not UTF-8 keeps its bytes
CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
ODD_SOURCE = os.environ.get("TEST_ODD_SOURCE", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")

with DAG("extraction_odd_names", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract_odd", source=CORPUS, destination=f"{OUT}/odd", workers=2
    )
    DocumentExtractionOperator(
        task_id="extract_odd_fail",
        source=CORPUS,
        destination=f"{OUT}/odd_fail",
        on_error="fail",
        workers=0,
    )

    @task
    def extract_with_hook() -> dict[str, object]:
        """The hook path, as a ``@task`` user calls it: hook lineage reports the datasets."""
        hook = DocumentExtractionHook()
        run = hook.extract(hook.plan(CORPUS, f"{OUT}/hook"))
        return {
            "documents": run.result.summary.documents,
            "failed": [failure.source_uri for failure in run.result.failures],
        }

    @task
    def extract_odd_source() -> int:
        """A source folder whose own name is not UTF-8, through the hook (not a templated field:
        Airflow's API cannot carry a rendered field that is not UTF-8)."""
        hook = DocumentExtractionHook()
        return hook.extract(hook.plan(ODD_SOURCE, f"{OUT}/odd_source")).result.summary.documents

    # One after the other: under ``airflow dags test`` the tasks share one process, and with it
    # the hook lineage collector, so the task checked for exactly its own datasets runs first.
    extract_with_hook() >> extract_odd_source()
