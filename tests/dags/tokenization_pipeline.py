"""Test DAG: extract, then tokenize two ways, plus each way tokenization fails."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BPE = os.environ.get("TEST_BPE", "/nonexistent")
WORDPIECE = os.environ.get("TEST_WORDPIECE", "/nonexistent")

with DAG("tokenization_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract", source=CORPUS, destination=f"{OUT}/extracted"
    )
    chunks = TokenizationOperator(
        task_id="tokenize_chunks",
        source="{{ ti.xcom_pull(task_ids='extract')['text'] }}",
        destination=f"{OUT}/chunks",
        tokenizer=BPE,
        transforms=[
            "unicode_normalize",
            "clean_whitespace",
            "deduplicate",
            {"name": "min_length", "chars": 5},
        ],
        max_length=32,
        stride=8,
    )
    packed = TokenizationOperator(
        task_id="tokenize_packed",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/packed",
        tokenizer=WORDPIECE,
        packing=True,
        block_size=16,
    )
    missing_tokenizer = TokenizationOperator(
        task_id="missing_tokenizer",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/missing",
        tokenizer=f"{OUT}/no-such-tokenizer/tokenizer.json",
    )
    not_extraction = TokenizationOperator(
        task_id="not_extraction",
        source=f"{OUT}/extracted/manifest.parquet",
        destination=f"{OUT}/not_extraction",
        tokenizer=BPE,
    )
    filtered_out = TokenizationOperator(
        task_id="filtered_out",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/filtered_out",
        tokenizer=BPE,
        transforms=[{"name": "min_length", "chars": 1_000_000}],
    )
    extract >> [chunks, packed, missing_tokenizer, not_extraction, filtered_out]
