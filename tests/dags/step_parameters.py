"""Test DAG: transformation-step parameters through the real OpenLineage provider.

The tokenizer's name and sha256 (keys Airflow's masker would hide: they contain "token") must
reach events and XCom; a secret Airflow knows (a sensitive Variable, rendered into the
tokenizer revision, which a local tokenizer records as given) must not.
"""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.tokenization import TokenizationOperator

CORPUS = os.environ.get("TEST_CORPUS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
TOKENIZER = os.environ.get("TEST_TOKENIZER", "/nonexistent")

with DAG("step_parameters", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    extract = DocumentExtractionOperator(
        task_id="extract",
        source=CORPUS,
        destination=f"{OUT}/extracted",
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source=f"{OUT}/extracted",
        destination=f"{OUT}/tokens",
        tokenizer=TOKENIZER,
        tokenizer_revision="rev-{{ var.value.revision_secret }}",
        max_length=32,
    )
    extract >> tokenize
