"""Example DAG: documents to a LoRA adapter in three steps, with lineage from end to end."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from llm_lineage.hooks.storage import default_conn_id
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
#: Outside the DAG folder so that Airflow never parses the outputs; LLM_LINEAGE_OUTPUT moves it.
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "pipeline"
)

#: Each location's connection: the param when set, else the scheme's default (``aws_default`` for
#: ``s3://``), else none (``""``, a local path). The base model is read with ``base_model_conn_id``
#: or, when that is empty, ``output_conn_id`` (the tiny model is built into the output's store).
SOURCE_CONN = "{{ default_conn_id(params.source, params.source_conn_id) or '' }}"
OUTPUT_CONN = "{{ default_conn_id(params.output, params.output_conn_id) or '' }}"
BASE_MODEL = "{{ ti.xcom_pull(task_ids='prepare_base_model') }}"
BASE_MODEL_CONN = (
    "{{ default_conn_id(ti.xcom_pull(task_ids='prepare_base_model'), "
    "params.base_model_conn_id or params.output_conn_id) or '' }}"
)

DOC_MD = """
### Documents to adapter, with lineage

1. **prepare_base_model**: the `base_model` param (a model folder, local or in an object store,
   or a hub id) or, when it is empty, a tiny GPT-2-shaped model and byte-level BPE tokenizer
   built in `<output>/tiny-base-model` in a second (random weights: the loss falls, but it knows
   no language). With an `s3://` output the tiny model goes there, so a task on any worker
   reads it.
2. **extract_documents**: every PDF, DOCX, HTML, Markdown and text document under `source` to
   `<output>/extracted/text.parquet` (+ `manifest.parquet`).
3. **tokenize**: clean, deduplicate and pack the text into 128-token blocks with the base
   model's tokenizer: `<output>/tokens/tokens.parquet`.
4. **fine_tune**: a LoRA adapter (PEFT) on those blocks: `<output>/adapter/`.

Each step's output is the next step's input under the same OpenLineage name and version, so a
catalog draws one graph: documents → text → tokens → adapter (and base model → adapter). The
events carry the authors and formats of the documents, the tokenizer's identity, the LoRA
settings, every hyperparameter, the losses, and the cost (at an assumed 0.10 USD per hour).

**Params.** `source` defaults to the sample corpus next to this file, `output` to `pipeline/`
under `$LLM_LINEAGE_OUTPUT` (else `.demo-output/` at the repository root). On several workers
with no shared disk, every location must be in an object store: trigger with e.g.
`{"source": "s3://bucket/docs", "output": "s3://bucket/llm", "base_model":
"s3://bucket/models/Llama-3.2-1B"}` (a base model in an object store is downloaded once per
worker and cached) and raise `block_size` and the training settings in the DAG.
`source_conn_id`, `output_conn_id` and `base_model_conn_id` name the Airflow connections;
empty, `s3://` uses `aws_default` and a local path none (`base_model_conn_id` falls back to
`output_conn_id`). Training needs the `[lora]` extra on the worker.
"""


@task
def prepare_base_model(params: dict[str, Any] | None = None) -> str:
    """The configured base model, or the tiny one in the output's store so that it runs anywhere."""
    from llm_lineage.hooks.tiny_model import base_model_or_tiny

    assert params is not None
    output = str(params["output"]).rstrip("/")
    conn_id = default_conn_id(output, params["output_conn_id"])
    return base_model_or_tiny(params["base_model"], f"{output}/tiny-base-model", conn_id)


with DAG(
    dag_id="llm_lineage_pipeline",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage"],
    params={
        "source": Param(str(SAMPLE_CORPUS), type="string", minLength=1),
        "output": Param(DEFAULT_OUTPUT, type="string", minLength=1),
        "base_model": Param("", type="string", description="Empty: build a tiny model"),
        "source_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "output_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "base_model_conn_id": Param("", type="string", description="Empty: output_conn_id's"),
    },
    user_defined_macros={"default_conn_id": default_conn_id},
):
    base_model = prepare_base_model()
    extract = DocumentExtractionOperator(
        task_id="extract_documents",
        source="{{ params.source }}",
        destination="{{ params.output }}/extracted",
        exclude=["README.md"],
        author_policy="include",
        source_conn_id=SOURCE_CONN,
        destination_conn_id=OUTPUT_CONN,
    )
    tokenize = TokenizationOperator(
        task_id="tokenize",
        source="{{ ti.xcom_pull(task_ids='extract_documents')['text'] }}",
        destination="{{ params.output }}/tokens",
        tokenizer=BASE_MODEL,
        transforms=["unicode_normalize", "clean_whitespace", "deduplicate"],
        packing=True,
        block_size=128,
        source_conn_id=OUTPUT_CONN,
        destination_conn_id=OUTPUT_CONN,
        tokenizer_conn_id=BASE_MODEL_CONN,
    )
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset="{{ ti.xcom_pull(task_ids='tokenize')['tokens'] }}",
        base_model=BASE_MODEL,
        output="{{ params.output }}/adapter",
        lora={"r": 8, "alpha": 16, "dropout": 0.05},
        training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4, "seed": 42},
        cost_per_hour=0.10,
        dataset_conn_id=OUTPUT_CONN,
        output_conn_id=OUTPUT_CONN,
        base_model_conn_id=BASE_MODEL_CONN,
    )
    [base_model, extract] >> tokenize >> fine_tune
