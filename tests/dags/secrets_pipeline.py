"""Test DAG: secrets in the environment and a salt from a Variable, none of which may leak."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG, task

from llm_lineage.hooks.lora import LoRAFineTuningHook
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BASE = os.environ.get("TEST_BASE", "/nonexistent")
TOKENS = os.environ.get("TEST_TOKENS", "/nonexistent")
SALT = "{{ var.value.llm_lineage_author_salt }}"
#: Set by the test: a URL with a password, a GitHub token, and a harmless value.
LISTED = ["MY_SERVICE_URL", "MY_API_HANDLE", "LLM_LINEAGE_PLAIN"]

with DAG("secrets_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        author_policy="hash",
        author_salt=SALT,
    )
    DocumentExtractionOperator.partial(
        task_id="extract_mapped",
        destination=f"{OUT}/extracted_mapped",
        author_policy="hash",
        author_salt=SALT,
    ).expand(source=[CORPUS])
    LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=TOKENS,
        base_model=BASE,
        output=f"{OUT}/adapter",
        training={"max_steps": 2, "batch_size": 4, "progress_interval": 0.1},
        environment_variables=LISTED,
    )

    @task
    def environment_from_hook() -> list[list[str]]:
        """The hook path: names are not checked at parse time, so DATABASE_URL is dropped here."""
        plan = LoRAFineTuningHook().plan(
            TOKENS, BASE, f"{OUT}/hook_adapter", environment_variables=["DATABASE_URL", *LISTED]
        )
        return [list(pair) for pair in plan.environment]

    environment_from_hook()
