"""Test DAG: extract, curate, tokenize the curated text; plus each way curation fails."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.curation import TextCurationOperator
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BPE = os.environ.get("TEST_BPE", "/nonexistent")

with DAG("curation_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract", source=CORPUS, destination=f"{OUT}/extracted", workers=0
    )
    curate = TextCurationOperator(
        task_id="curate",
        source="{{ ti.xcom_pull(task_ids='extract')['text'] }}",
        destination=f"{OUT}/curated",
        languages=["en"],
        pii="redact",
        jaccard_threshold=0.7,
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='curate')['text'] }}",
        destination=f"{OUT}/tokens",
        tokenizer=BPE,
        max_length=64,
    )
    nothing_kept = TextCurationOperator(
        task_id="nothing_kept",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/nothing_kept",
        languages=["ja"],
    )
    not_extraction = TextCurationOperator(
        task_id="not_extraction",
        source=f"{OUT}/extracted/manifest.parquet",
        destination=f"{OUT}/not_extraction",
    )
    extract >> curate >> tokenize
    extract >> [nothing_kept, not_extraction]
