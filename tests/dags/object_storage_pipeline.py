"""Test DAG for object storage: the example pipeline's three steps, any scheme, one connection.

Built like ``example_dags/llm_lineage_pipeline.py`` (extract, tokenize, fine-tune with a tiny
local base model). Corpus and output come from the environment and may be local folders or
``s3://`` URLs; ``TEST_CONN_ID`` (empty for local runs) is the Airflow connection every step
reads and writes through, so the same file runs the S3 pipeline and its local twin.
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
CONN = os.environ.get("TEST_CONN_ID") or None

with DAG("object_storage_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        source_conn_id=CONN,
        destination_conn_id=CONN,
        exclude=["README.md"],
        author_policy="include",
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination=f"{OUT}/tokens",
        source_conn_id=CONN,
        destination_conn_id=CONN,
        tokenizer=BASE,
        transforms=["unicode_normalize", "clean_whitespace", "deduplicate"],
        packing=True,
        block_size=32,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        dataset_conn_id=CONN,
        output_conn_id=CONN,
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora={"r": 4, "alpha": 8, "dropout": 0.0},
        training={"learning_rate": 5e-3, "epochs": 1, "batch_size": 8, "seed": 42},
    )
    extract >> tokenize >> fine_tune
