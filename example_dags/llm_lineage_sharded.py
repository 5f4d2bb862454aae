"""Example DAG: extraction and tokenization mapped over corpus shards, then one training run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Param, task

from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "sharded"
)

DOC_MD = """
### Sharded: dynamic task mapping over a corpus

Each immediate subfolder of `source` is a shard (`notes/`, `reports/`, `web/` in the sample
corpus). `extract_documents` and `tokenize` are mapped over the shards with dynamic task
mapping, so on the Celery or Kubernetes executor they run in parallel on as many workers as
there are shards; `fine_tune` then trains one adapter on every shard's tokens.

Lineage stays per task instance: each mapped `extract_documents` reports its own shard as
input and its own `text.parquet` as output, each mapped `tokenize` reads exactly that file,
and `fine_tune` lists every shard's tokens (with its version) and the base model as inputs.

**Params.** As `llm_lineage_pipeline`; `output` defaults to `sharded/` under
`$LLM_LINEAGE_OUTPUT` (else `.demo-output/`).
"""


@task
def prepare_base_model(params: dict[str, Any] | None = None) -> str:
    from llm_lineage.training.tiny import ensure_base_model

    assert params is not None
    return ensure_base_model(params["base_model"], Path(params["output"]) / "tiny-base-model")


@task
def list_shards(params: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """One extraction per subfolder of the source (the source itself when it has none)."""
    from llm_lineage.hooks.storage import location_uri, storage_path

    assert params is not None
    root = storage_path(params["source"])
    folders = sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.name)
    return [
        {
            "source": location_uri(folder),
            "destination": f"{params['output']}/shards/{folder.name}/extracted",
        }
        for folder in folders or [root]
    ]


def tokenize_arguments(extraction: dict[str, Any]) -> dict[str, str]:
    """Where each shard's tokens go: beside its extracted text."""
    shard = extraction["text"].rsplit("/extracted/", 1)[0]
    return {"source": extraction["text"], "destination": f"{shard}/tokens"}


@task
def token_files(tokenizations: list[dict[str, Any]]) -> list[str]:
    return [result["tokens"] for result in tokenizations]


with DAG(
    dag_id="llm_lineage_sharded",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage", "dynamic-task-mapping"],
    params={
        "source": Param(str(SAMPLE_CORPUS), type="string", minLength=1),
        "output": Param(DEFAULT_OUTPUT, type="string", minLength=1),
        "base_model": Param("", type="string", description="Empty: build a tiny local model"),
    },
):
    base_model = prepare_base_model()
    extract = DocumentExtractionOperator.partial(
        task_id="extract_documents", author_policy="include"
    ).expand_kwargs(list_shards())
    tokenize = TokenizationOperator.partial(
        task_id="tokenize",
        tokenizer="{{ ti.xcom_pull(task_ids='prepare_base_model') }}",
        packing=True,
        block_size=128,
    ).expand_kwargs(extract.output.map(tokenize_arguments))
    base_model >> tokenize
    LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=token_files(tokenize.output),
        base_model="{{ ti.xcom_pull(task_ids='prepare_base_model') }}",
        output="{{ params.output }}/adapter",
        lora={"r": 8, "alpha": 16},
        training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4},
        cost_per_hour=0.10,
    )
