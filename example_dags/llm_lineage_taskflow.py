"""Example DAG: the three hooks called from @task functions, with lineage from the hooks."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from airflow.sdk import Param, dag, task

from llm_lineage.hooks.storage import default_conn_id

HERE = Path(__file__).resolve().parent
SAMPLE_CORPUS = HERE / "data" / "sample_corpus"
DEFAULT_OUTPUT = str(
    Path(os.environ.get("LLM_LINEAGE_OUTPUT", HERE.parent / ".demo-output")) / "taskflow"
)

DOC_MD = """
### The same pipeline with TaskFlow and hooks

`DocumentExtractionHook`, `TokenizerHook` and `LoRAFineTuningHook` do the work inside
`@task` functions, for DAGs that need their own Python around each step. Each hook reports
what it read and wrote to Airflow's hook lineage collector, and the OpenLineage provider puts
those datasets on the task's events: extract (corpus → text, manifest), tokenize (text →
tokens), fine_tune (tokens, base model → adapter). The rich facets (authors, tokenizer, LoRA
settings, losses) come with the operators; use those when you want them.

**Params.** As `llm_lineage_pipeline`: `source`, `output` (default `taskflow/` under
`$LLM_LINEAGE_OUTPUT`, else `.demo-output/`), `base_model` (empty: a tiny model built in the
output's store), and their connections `source_conn_id`, `output_conn_id`, `base_model_conn_id`
(empty: `aws_default` for `s3://`, none for a local path).
"""


def connections(params: dict[str, Any], base_model: str = "") -> dict[str, str | None]:
    """Each location's connection: the param, else the scheme's default, else none."""
    output = default_conn_id(params["output"], params["output_conn_id"])
    named = params["base_model_conn_id"] or params["output_conn_id"]
    return {
        "source": default_conn_id(params["source"], params["source_conn_id"]),
        "output": output,
        "base_model": default_conn_id(base_model, named) if base_model else None,
    }


@dag(
    dag_id="llm_lineage_taskflow",
    schedule=None,
    catchup=False,
    doc_md=DOC_MD,
    tags=["llm-lineage", "example", "openlineage", "taskflow"],
    params={
        "source": Param(str(SAMPLE_CORPUS), type="string", minLength=1),
        "output": Param(DEFAULT_OUTPUT, type="string", minLength=1),
        "base_model": Param("", type="string", description="Empty: build a tiny model"),
        "source_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "output_conn_id": Param("", type="string", description="Empty: aws_default for s3://"),
        "base_model_conn_id": Param("", type="string", description="Empty: output_conn_id's"),
    },
)
def llm_lineage_taskflow() -> None:
    @task
    def prepare_base_model(params: dict[str, Any] | None = None) -> str:
        from llm_lineage.hooks.tiny_model import base_model_or_tiny

        assert params is not None
        output = str(params["output"]).rstrip("/")
        tiny = f"{output}/tiny-base-model"
        return base_model_or_tiny(params["base_model"], tiny, connections(params)["output"])

    @task
    def extract(params: dict[str, Any] | None = None) -> str:
        from llm_lineage.extraction import ExtractionSettings
        from llm_lineage.hooks.extraction import DocumentExtractionHook

        assert params is not None
        conn = connections(params)
        hook = DocumentExtractionHook(
            source_conn_id=conn["source"], destination_conn_id=conn["output"]
        )
        plan = hook.plan(
            params["source"],
            f"{params['output']}/extracted",
            ExtractionSettings(exclude=("README.md",)),
        )
        return hook.extract(plan).plan.text

    @task
    def tokenize(text: str, base_model: str, params: dict[str, Any] | None = None) -> str:
        from llm_lineage.hooks.tokenization import TokenizerHook
        from llm_lineage.tokenization import TokenizationSettings

        assert params is not None
        settings = TokenizationSettings(packing=True, block_size=128)
        conn = connections(params, base_model)
        hook = TokenizerHook(
            source_conn_id=conn["output"],
            destination_conn_id=conn["output"],
            tokenizer_conn_id=conn["base_model"],
        )
        plan = hook.plan(text, f"{params['output']}/tokens", base_model, settings)
        return hook.tokenize(plan).plan.output

    @task
    def fine_tune(
        tokens: str, base_model: str, params: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        from llm_lineage.hooks.lora import LoRAFineTuningHook

        assert params is not None
        conn = connections(params, base_model)
        hook = LoRAFineTuningHook(
            dataset_conn_id=conn["output"],
            output_conn_id=conn["output"],
            base_model_conn_id=conn["base_model"],
        )
        plan = hook.plan(
            tokens,
            base_model,
            f"{params['output']}/adapter",
            lora={"r": 8, "alpha": 16},
            training={"learning_rate": 5e-3, "epochs": 3, "batch_size": 4},
        )
        run = hook.fine_tune(plan)
        assert run.result.output is not None
        return {
            "adapter": run.plan.output,
            "version": run.result.output.content_hash,
            "loss_last": run.result.loss_last,
        }

    base_model = prepare_base_model()
    fine_tune(tokenize(extract(), base_model), base_model)


llm_lineage_taskflow()
