"""Test DAG: extract, then embed with the real all-MiniLM-L6-v2 (and a LanceDB table), embed the
same text again elsewhere, with other chunks and a tiny model, and each way embedding fails."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.embedding import EmbeddingOperator
from llm_lineage.operators.extraction import DocumentExtractionOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
MINILM = os.environ.get("TEST_MINILM", "/nonexistent")
TINY = os.environ.get("TEST_TINY_MODEL", "/nonexistent")

with DAG("embedding_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract", source=CORPUS, destination=f"{OUT}/extracted", author_policy="include"
    )
    embed = EmbeddingOperator(
        task_id="embed",
        source="{{ ti.xcom_pull(task_ids='extract')['text'] }}",
        destination=f"{OUT}/embedded",
        model=MINILM,
        chunk_tokens=16,
        overlap_tokens=4,
        include_text=True,
        vector_store=f"{OUT}/lancedb",
        vector_table="chunks",
        cost_per_hour=2.5,
    )
    again = EmbeddingOperator(
        task_id="embed_again",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/again",
        model=MINILM,
        chunk_tokens=16,
        overlap_tokens=4,
        include_text=True,
    )
    other_chunks = EmbeddingOperator(
        task_id="embed_other_chunks",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/other_chunks",
        model=TINY,
        chunk_tokens=8,
        overlap_tokens=0,
    )
    not_text = EmbeddingOperator(
        task_id="not_text",
        source=f"{OUT}/extracted/manifest.parquet",
        destination=f"{OUT}/not_text",
        model=TINY,
    )
    missing_model = EmbeddingOperator(
        task_id="missing_model",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/missing_model",
        model=f"{OUT}/no-such-model",
    )
    extract >> embed >> [again, other_chunks, not_text, missing_model]
