"""Example DAG: documents to a LoRA adapter in three steps, with lineage from end to end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from llm_lineage.operators.curation import TextCurationOperator
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
#: Outside the DAG folder so that Airflow never parses the outputs; LLM_LINEAGE_OUTPUT moves it.
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "pipeline"
)

DOC_MD = """
### Documents to adapter, with lineage

1. **prepare_base_model**: the `base_model` param (a local model folder or a hub id) or, when
   it is empty, a tiny GPT-2-shaped model and byte-level BPE tokenizer built in
   `<output>/tiny-base-model` in a second (random weights: the loss falls, but it knows no
   language).
2. **extract_documents**: every PDF, DOCX, HTML, Markdown and text document under `source` to
   `<output>/extracted/text.parquet` (+ `manifest.parquet`).
   **curate**: keep the English text, drop near-duplicates and low-quality text, replace
   e-mail addresses and other personal data with placeholders: `<output>/curated/text.parquet`
   (+ `decisions.parquet`, one row per document with the reasons).
3. **tokenize**: clean, deduplicate and pack the curated text into 128-token blocks with the base
   model's tokenizer: `<output>/tokens/tokens.parquet`.
4. **fine_tune**: a LoRA adapter (PEFT) on those blocks: `<output>/adapter/`.

Each step's output is the next step's input under the same OpenLineage name and version, so a
catalog draws one graph: documents → text → tokens → adapter (and base model → adapter). The
events carry the authors and formats of the documents, the tokenizer's identity, the LoRA
settings, every hyperparameter, the losses, and the cost (at an assumed 0.10 USD per hour).

**Params.** `source` defaults to the sample corpus next to this file, `output` to `pipeline/`
under `$LLM_LINEAGE_OUTPUT` (else `.demo-output/` at the repository root). For real work,
trigger with e.g. `{"source": "s3://bucket/docs", "output": "s3://bucket/llm",
"base_model": "/models/Llama-3.2-1B"}` and raise `block_size` and the training settings in
the DAG. Training needs the `[lora]` extra on the worker.
"""


@task
def prepare_base_model(params: dict[str, Any] | None = None) -> str:
    """The configured base model, or a tiny local one so that the example runs anywhere."""
    from llm_lineage.training.tiny import ensure_base_model

    assert params is not None
    return ensure_base_model(params["base_model"], Path(params["output"]) / "tiny-base-model")


with DAG(
    dag_id="llm_lineage_pipeline",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage"],
    params={
        "source": Param(str(SAMPLE_CORPUS), type="string", minLength=1),
        "output": Param(DEFAULT_OUTPUT, type="string", minLength=1),
        "base_model": Param("", type="string", description="Empty: build a tiny local model"),
    },
):
    base_model = prepare_base_model()
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source="{{ params.source }}",
        destination="{{ params.output }}/extracted",
        exclude=["README.md"],
        author_policy="include",
    )
    curate = TextCurationOperator(
        task_id="curate",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination="{{ params.output }}/curated",
        languages=["en"],
        pii="redact",
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='curate')['text'] }}",
        destination="{{ params.output }}/tokens",
        tokenizer="{{ ti.xcom_pull(task_ids='prepare_base_model') }}",
        transforms=["unicode_normalize", "clean_whitespace", "deduplicate"],
        packing=True,
        block_size=128,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        base_model="{{ ti.xcom_pull(task_ids='prepare_base_model') }}",
        output="{{ params.output }}/adapter",
        lora={"r": 8, "alpha": 16, "dropout": 0.05},
        training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4, "seed": 42},
        cost_per_hour=0.10,
    )
    extract >> curate
    [base_model, curate] >> tokenize >> fine_tune
