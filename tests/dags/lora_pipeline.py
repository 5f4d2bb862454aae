"""Test DAG: extract, tokenize, fine-tune; plus each way fine-tuning fails."""

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
SALT = os.environ.get("TEST_AUTHOR_SALT")
FAST = {"learning_rate": 3e-2, "batch_size": 4, "epochs": 3, "progress_interval": 0.1}

with DAG("lora_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        author_policy="hash",
        author_salt=SALT,
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
        lora={"r": 4, "alpha": 8, "dropout": 0.0, "target_modules": ["c_attn", "c_proj"]},
        training=FAST,
        cost_per_hour=3.6,
        cost_currency="EUR",
        environment_variables=["LLM_LINEAGE_TEST_ENV"],
    )
    nan_loss = LoRAFineTuningOperator(
        task_id="nan_loss",
        dataset=f"{OUT}/tokens",
        base_model=BASE,
        output=f"{OUT}/nan_adapter",
        training={**FAST, "learning_rate": 1e30, "max_grad_norm": None},
    )
    not_tokens = LoRAFineTuningOperator(
        task_id="not_tokens",
        dataset=f"{OUT}/extracted/text.parquet",
        base_model=BASE,
        output=f"{OUT}/not_tokens_adapter",
    )
    missing_base = LoRAFineTuningOperator(
        task_id="missing_base",
        dataset=f"{OUT}/tokens",
        base_model=f"{OUT}/no-such-model",
        output=f"{OUT}/missing_base_adapter",
    )
    extract >> tokenize >> [fine_tune, nan_loss, not_tokens, missing_base]
