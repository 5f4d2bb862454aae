"""Example DAG: extraction and tokenization mapped over corpus shards, then one training run."""

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
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "sharded"
)

#: Each location's connection, as in ``llm_lineage_pipeline``.
SOURCE_CONN = "{{ default_conn_id(params.source, params.source_conn_id) or '' }}"
OUTPUT_CONN = "{{ default_conn_id(params.output, params.output_conn_id) or '' }}"
BASE_MODEL = "{{ ti.xcom_pull(task_ids='prepare_base_model') }}"
BASE_MODEL_CONN = (
    "{{ default_conn_id(ti.xcom_pull(task_ids='prepare_base_model'), "
    "params.base_model_conn_id or params.output_conn_id) or '' }}"
)

DOC_MD = """
### Sharded: dynamic task mapping over a corpus

Each immediate subfolder of `source` is a shard (`notes/`, `reports/`, `web/` in the sample
corpus). `extract_documents` and `tokenize` are mapped over the shards with dynamic task
mapping, so on the Celery or Kubernetes executor they run in parallel on as many workers as
there are shards; `fine_tune` then trains one adapter on every shard's tokens. Workers share
nothing but what is in `source` and `output`: with no shared disk, both (and `base_model`, if
given) must be object-store URLs (`s3://...`), where the tiny base model is then built too.

Lineage stays per task instance: each mapped `extract_documents` reports its own shard as
input and its own `text.parquet` as output, each mapped `tokenize` reads exactly that file,
and `fine_tune` lists every shard's tokens (with its version) and the base model as inputs.

**Params.** As `llm_lineage_pipeline` (`source`, `output`, `base_model` and their connections
`source_conn_id`, `output_conn_id`, `base_model_conn_id`); `output` defaults to `sharded/` under
`$LLM_LINEAGE_OUTPUT` (else `.demo-output/`).
"""


@task
def prepare_base_model(params: dict[str, Any] | None = None) -> str:
    """The configured base model, or the tiny one in the output's store."""
    from llm_lineage.hooks.tiny_model import base_model_or_tiny

    assert params is not None
    output = str(params["output"]).rstrip("/")
    conn_id = default_conn_id(output, params["output_conn_id"])
    return base_model_or_tiny(params["base_model"], f"{output}/tiny-base-model", conn_id)


@task
def list_shards(params: dict[str, Any] | None = None) -> list[dict[str, str]]:
    """One extraction per subfolder of the source (the source itself when it has none)."""
    from llm_lineage.hooks.storage import location_uri, storage_path

    assert params is not None
    root = storage_path(
        params["source"], default_conn_id(params["source"], params["source_conn_id"])
    )
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
    # By index up to its length: iterating the lazy XCom sequence reads one past the end, which
    # the task SDK logs as "ERROR XCom not found" in a run that succeeded.
    return [tokenizations[index]["tokens"] for index in range(len(tokenizations))]


with DAG(
    dag_id="llm_lineage_sharded",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage", "dynamic-task-mapping"],
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
    extract = DocumentExtractionOperator.partial(
        task_id="extract_documents",
        author_policy="include",
        source_conn_id=SOURCE_CONN,
        destination_conn_id=OUTPUT_CONN,
    ).expand_kwargs(list_shards())
    tokenize = TokenizationOperator.partial(
        task_id="tokenize",
        tokenizer=BASE_MODEL,
        packing=True,
        block_size=128,
        source_conn_id=OUTPUT_CONN,
        destination_conn_id=OUTPUT_CONN,
        tokenizer_conn_id=BASE_MODEL_CONN,
    ).expand_kwargs(extract.output.map(tokenize_arguments))
    base_model >> tokenize
    LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=token_files(tokenize.output),
        base_model=BASE_MODEL,
        output="{{ params.output }}/adapter",
        lora={"r": 8, "alpha": 16},
        training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4},
        cost_per_hour=0.10,
        dataset_conn_id=OUTPUT_CONN,
        output_conn_id=OUTPUT_CONN,
        base_model_conn_id=BASE_MODEL_CONN,
    )
