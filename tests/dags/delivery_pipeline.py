"""Test DAG for lineage delivery: extract, then tokenize (five to six events per run)."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BPE = os.environ.get("TEST_BPE", "/nonexistent")

with DAG("delivery_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract", source=CORPUS, destination=f"{OUT}/extracted", workers=0
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='extract')['text'] }}",
        destination=f"{OUT}/tokens",
        tokenizer=BPE,
        max_length=32,
    )
    extract >> tokenize
