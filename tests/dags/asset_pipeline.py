"""Test DAG: documents to tokens to adapter with literal inputs (Airflow Assets, catalog link)."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BASE = os.environ.get("TEST_BASE", "/nonexistent")

with DAG("asset_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract", source=CORPUS, destination=f"{OUT}/extracted", workers=0
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='extract')['text'] }}",
        destination=f"{OUT}/tokens",
        tokenizer=BASE,
        packing=True,
        block_size=32,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora={"r": 4, "alpha": 8, "dropout": 0.0},
        training={"learning_rate": 3e-2, "batch_size": 4, "max_steps": 2},
    )
    extract >> tokenize >> fine_tune
