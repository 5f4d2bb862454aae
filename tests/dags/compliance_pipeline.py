"""Test DAG for the compliance exports: the example pipeline's four steps, configured by env.

Built like ``example_dags/llm_lineage_pipeline.py`` (extract, curate, tokenize, fine-tune with a
tiny model), with the source's declaration (``COMPLIANCE_DECLARATION``, a YAML file) given to
the extraction operator and the paths taken from the environment.
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.curation import TextCurationOperator
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BASE = os.environ.get("TEST_BASE", "/nonexistent")
DECLARATION = os.environ.get("COMPLIANCE_DECLARATION") or None

with DAG("compliance_pipeline", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source=CORPUS,
        destination=f"{OUT}/extracted",
        exclude=["README.md"],
        author_policy="hash",
        author_salt="compliance-test-salt",
        source_declaration=DECLARATION,
    )
    curate = TextCurationOperator(
        task_id="curate",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination=f"{OUT}/curated",
        languages=["en"],
        pii="redact",
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='curate')['text'] }}",
        destination=f"{OUT}/tokens",
        tokenizer=BASE,
        transforms=["unicode_normalize", "clean_whitespace", "deduplicate"],
        packing=True,
        block_size=32,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora={"r": 4, "alpha": 8, "dropout": 0.0},
        training={"learning_rate": 5e-3, "epochs": 1, "batch_size": 8, "seed": 42},
        cost_per_hour=2.5,
    )
    extract >> curate >> tokenize >> fine_tune
