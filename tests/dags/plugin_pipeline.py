"""Test DAG for the Lineage tab: mapped extraction, tokenize, fine-tune, a failure, a @task."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG, task

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

SHARD_A = os.environ.get("TEST_SHARD_A", "/nonexistent")
SHARD_B = os.environ.get("TEST_SHARD_B", "/nonexistent")
BROKEN = os.environ.get("TEST_BROKEN", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BASE = os.environ.get("TEST_BASE", "/nonexistent")


@task
def plain() -> str:
    return "no lineage here"


with DAG("plugin_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator.partial(task_id="extract", workers=0).expand_kwargs(
        [
            {"source": SHARD_A, "destination": f"{OUT}/a/extracted"},
            {"source": SHARD_B, "destination": f"{OUT}/b/extracted"},
        ]
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source=f"{OUT}/a/extracted",
        destination=f"{OUT}/a/tokens",
        tokenizer=BASE,
        packing=True,
        block_size=32,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=f"{OUT}/a/tokens",
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora={"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["c_attn"]},
        training={"learning_rate": 3e-2, "batch_size": 4, "epochs": 2},
        cost_per_hour=3.6,
        cost_currency="EUR",
    )
    DocumentExtractionOperator(
        task_id="broken",
        source=BROKEN,
        destination=f"{OUT}/broken",
        on_error="fail",
        workers=0,
    )
    extract >> tokenize >> fine_tune
    plain()
