"""Example DAG: fine-tune whenever new tokens land, scheduled on the token file's Airflow Asset."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from airflow.sdk import DAG, Asset, Param, task

from llm_lineage.hooks.storage import default_conn_id
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.operators.lora import LoRAFineTuningOperator

HERE = Path(__file__).resolve().parent
OUTPUT_ROOT = Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output"))
#: Where ``llm_lineage_pipeline`` writes with its default params.
PIPELINE_OUTPUT = OUTPUT_ROOT / "pipeline"
DEFAULT_OUTPUT = str(OUTPUT_ROOT / "asset_scheduled")
#: The token file ``llm_lineage_pipeline`` writes, under the URI lineage names it by; its
#: ``tokenize`` task adds an event to this asset each time it writes the file.
PIPELINE_TOKENS = Asset(dataset_id(PIPELINE_OUTPUT / "tokens" / "tokens.parquet").uri)

log = logging.getLogger(__name__)

DOC_MD = f"""
### Fine-tune when new tokens land

Scheduled on an Airflow Asset: the token file that `llm_lineage_pipeline` writes,
`{PIPELINE_TOKENS.uri}`. Every operator of this provider reports its outputs as Airflow
Assets, through its alias `llm-lineage:<dag_id>.<task_id>`, so each successful `tokenize` of
the pipeline adds an asset event to that file and Airflow queues a run of this DAG. Unpause it
first (new DAGs start paused); the Assets page shows the asset, its events and this DAG as a
consumer.

1. **new_tokens**: reads the token file from the event that triggered the run
   (`triggering_asset_events`), and logs the version, token and sequence counts and the
   producing task that the event's `extra` carries. On a manual run, with no event, it takes
   the asset's file as it is now.
2. **prepare_base_model**: the `base_model` param or, when empty, the pipeline's tiny model in
   `<pipeline output>/tiny-base-model`: the tokens must come from the tokenizer of the model
   you fine-tune, so set `base_model` to the model the pipeline tokenized for.
3. **fine_tune**: a LoRA adapter on those tokens into `<output>/adapter`, itself an asset
   that further DAGs can be scheduled on.

**Params.** `output` defaults to `asset_scheduled/` under `$LLM_LINEAGE_OUTPUT` (else
`.demo-output/`), `base_model` to empty. `dataset_conn_id`, `output_conn_id` and
`base_model_conn_id` name the connections of the tokens, the adapter and the base model; empty,
`s3://` uses `aws_default` and a local path none. The asset follows `$LLM_LINEAGE_OUTPUT` too; for your
own pipeline, schedule on `Asset("<its tokens.parquet URI>")` (a `file:///...` or `s3://...`
URI as the lineage events name the dataset).
"""


@task
def new_tokens(triggering_asset_events: Any = None) -> str:
    """The token file of the newest event that triggered this run, as a path or URL."""
    events = triggering_asset_events.get(PIPELINE_TOKENS) if triggering_asset_events else None
    if not events:
        log.info("No triggering asset event (a manual run): using %s", PIPELINE_TOKENS.uri)
        return dataset_id(PIPELINE_TOKENS.uri).location
    latest = events[-1]
    log.info(
        "New tokens %s from %s.%s: version %s, %s tokens in %s sequences",
        latest.asset.uri,
        latest.source_dag_id,
        latest.source_task_id,
        latest.extra.get("version"),
        latest.extra.get("tokens"),
        latest.extra.get("sequences"),
    )
    return dataset_id(latest.asset.uri).location


@task
def prepare_base_model(params: dict[str, Any] | None = None) -> str:
    """The configured base model, or the pipeline's tiny one (whose tokenizer made the tokens)."""
    from llm_lineage.hooks.tiny_model import base_model_or_tiny

    assert params is not None
    return base_model_or_tiny(params["base_model"], PIPELINE_OUTPUT / "tiny-base-model")


#: The tokens' location is known at run time only: the connection follows its scheme.
DATASET_CONN = (
    "{{ default_conn_id(ti.xcom_pull(task_ids='new_tokens'), params.dataset_conn_id) or '' }}"
)


with DAG(
    dag_id="llm_lineage_asset_scheduled",
    schedule=[PIPELINE_TOKENS],
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage", "assets"],
    params={
        "output": Param(DEFAULT_OUTPUT, type="string", minLength=1),
        "base_model": Param("", type="string", description="Empty: the pipeline's tiny model"),
        "dataset_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "output_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "base_model_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
    },
    user_defined_macros={"default_conn_id": default_conn_id},
):
    base_model = prepare_base_model()
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=new_tokens(),
        base_model="{{ ti.xcom_pull(task_ids='prepare_base_model') }}",
        output="{{ params.output }}/adapter",
        lora={"r": 8, "alpha": 16, "dropout": 0.05},
        training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4, "seed": 42},
        dataset_conn_id=DATASET_CONN,
        output_conn_id="{{ default_conn_id(params.output, params.output_conn_id) or '' }}",
        base_model_conn_id=(
            "{{ default_conn_id(ti.xcom_pull(task_ids='prepare_base_model'), "
            "params.base_model_conn_id) or '' }}"
        ),
    )
    base_model >> fine_tune
