"""Test DAG for the governance report: the example pipeline's three steps, configured by env.

Built like ``example_dags/llm_lineage_pipeline.py`` (extract, tokenize, fine-tune with a tiny
model), with its paths and the settings a scenario changes between runs (block size, seed)
taken from the environment. ``REPORT_UNUSED_CORPUS`` adds an extraction whose text nothing reads.
"""

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
UNUSED = os.environ.get("REPORT_UNUSED_CORPUS")
BLOCK = int(os.environ.get("REPORT_BLOCK_SIZE", "32"))
SEED = int(os.environ.get("REPORT_SEED", "42"))

with DAG("report_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        exclude=["README.md"],
        author_policy="include",
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination=f"{OUT}/tokens",
        tokenizer=BASE,
        transforms=["unicode_normalize", "clean_whitespace", "deduplicate"],
        packing=True,
        block_size=BLOCK,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora={"r": 4, "alpha": 8, "dropout": 0.0},
        training={"learning_rate": 5e-3, "epochs": 1, "batch_size": 8, "seed": SEED},
        cost_per_hour=2.5,
    )
    extract >> tokenize >> fine_tune
    if UNUSED:
        DocumentExtractionOperator(
            task_id="extract_unused",
            source=UNUSED,
            destination=f"{OUT}/unused",
            author_policy="hash",
            author_salt="report-test-salt",
        )
