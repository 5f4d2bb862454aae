"""Fine-tuning results to OpenLineage datasets and facets.

Inputs: the token dataset, named exactly as the tokenization step named its output, and the base
model as a MODEL dataset whose version is a fingerprint of its weights. Output: the adapter
folder, a MODEL dataset whose version is the sha256 of its weights. The training run, its
hyperparameters, losses and cost are run facets; the adapter's shape is on the dataset, where
catalogs that drop custom run facets still keep it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    JobFacet,
    RunFacet,
    documentation_dataset,
    environment_variables_run,
    output_statistics_output_dataset,
)

from llm_lineage.common.versions import package_version
from llm_lineage.facets import (
    BaseModelReference,
    LlmLineageLoraAdapterDatasetFacet,
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
    facet_key,
)
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import (
    SourceInfo,
    StepLineage,
    data_source,
    file_facets,
    lifecycle,
    parquet_input,
    tags,
    task_job_facets,
    version,
)
from llm_lineage.lineage.training_plan import TrainingPlan
from llm_lineage.lineage.training_run import (
    execution_parameters,
    resource_facet,
    training_facet,
)
from llm_lineage.lineage.transformation_chain import continue_chain
from llm_lineage.training import (
    BaseModelInfo,
    TrainingResult,
)
from llm_lineage.training.settings import LAUNCHER


def base_model_dataset(plan: TrainingPlan, base: BaseModelInfo | None) -> InputDataset:
    target = dataset_id(plan.base_location)
    facets = file_facets(
        target, base.weight_format if base else "safetensors", "MODEL", "BASE_MODEL"
    )
    facets["dataSource"] = data_source(target)
    if base is not None:
        revision = base.resolved_revision or base.revision
        facets["version"] = version(base.fingerprint)
        facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=(
                f"Base model {base.source} ({base.model_type or 'unknown type'}"
                f"{', ' + ', '.join(base.architectures) if base.architectures else ''})"
                f"{' at revision ' + revision if revision else ''}: "
                f"{len(base.weight_files)} {base.weight_format} weight file(s), "
                f"{base.size_bytes} bytes, fingerprint {base.fingerprint[:12]}."
            ),
            contentType="text/plain",
        )
        values = {"model_type": base.model_type or "", "fingerprint": base.fingerprint}
        if revision:
            values["revision"] = revision
        facets["tags"] = tags(**values)
    return InputDataset(namespace=target.namespace, name=target.name, facets=facets)


def base_model_reference(base: BaseModelInfo) -> BaseModelReference:
    return BaseModelReference(
        name=base.source,
        fingerprint=base.fingerprint,
        revision=base.revision,
        resolvedRevision=base.resolved_revision,
        modelType=base.model_type,
    )


def adapter_facet(
    plan: TrainingPlan, base: BaseModelInfo, result: TrainingResult
) -> LlmLineageLoraAdapterDatasetFacet:
    lora = plan.lora
    return LlmLineageLoraAdapterDatasetFacet(
        baseModel=base_model_reference(base),
        r=lora.r,
        alpha=lora.alpha,
        dropout=lora.dropout,
        targetModules=list(result.target_modules),
        bias=lora.bias,
        taskType=lora.task_type,
        trainableParameters=result.trainable_parameters or 0,
        totalParameters=result.total_parameters or 0,
        peftVersion=result.libraries.get("peft", "unknown"),
    )


def transformation_chain(
    plan: TrainingPlan, base: BaseModelInfo, infos: Sequence[SourceInfo] | None
) -> LlmLineageTransformationsDatasetFacet:
    """The token dataset's chain (extraction, tokenization), then this fine-tuning step.

    Shards trained together have one chain each; the adapter's chain then starts from a hash
    of their versions and its step lists each shard with the fingerprint of its chain.
    """
    parameters: dict[str, Any] = {
        "base_model": base.source,
        "base_model_fingerprint": base.fingerprint,
        "lora": plan.lora.model_dump(mode="json"),
        "training": plan.training.model_dump(mode="json", exclude={"progress_interval", "device"}),
    }
    how = "get_peft_model, then AdamW with a linear schedule"
    if plan.distributed is not None:
        # The world size changes the batches and so the adapter; the backend is where it ran.
        parameters["distributed"] = {
            "launcher": LAUNCHER,
            "processes": plan.distributed.processes,
        }
        how += f", data-parallel (DDP) on {plan.distributed.processes} processes"
    infos = list(infos or [])
    inherited: list[TransformationStep] = []
    if len(plan.datasets) == 1:
        info = infos[0] if infos else None
        inherited = list(info.chain) if info else []
        seed = (info.content_hash if info else None) or dataset_id(plan.datasets[0]).uri
    else:
        padded: list[SourceInfo | None] = [*infos, *[None] * (len(plan.datasets) - len(infos))]
        shards = [
            {
                "uri": dataset_id(uri).uri,
                "version": info.content_hash if info else None,
                "chain_fingerprint": info.chain[-1].fingerprint if info and info.chain else None,
            }
            for uri, info in zip(plan.datasets, padded, strict=True)
        ]
        parameters["datasets"] = shards
        seed = hashlib.sha256(json.dumps(shards, sort_keys=True).encode()).hexdigest()
    return continue_chain(
        inherited,
        seed,
        "training",
        [
            (
                "lora_fine_tune",
                "peft",
                package_version("peft"),
                parameters,
                how,
            )
        ],
    )


def adapter_dataset(
    plan: TrainingPlan,
    base: BaseModelInfo | None,
    infos: Sequence[SourceInfo] | None,
    result: TrainingResult | None,
) -> OutputDataset:
    target = dataset_id(plan.output)
    facets = file_facets(target, "safetensors", "MODEL", "LORA_ADAPTER")
    if result is None or result.output is None or base is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    lora = plan.lora
    facets.update(
        {
            "version": version(result.output.content_hash),
            facet_key("loraAdapter"): adapter_facet(plan, base, result),
            facet_key("transformations"): transformation_chain(plan, base, infos),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=(
                    f"LoRA adapter (r={lora.r}, alpha={lora.alpha}, "
                    f"{', '.join(result.target_modules)}) for {base.source}, trained for "
                    f"{result.steps} steps on {result.tokens_seen} tokens of "
                    f"{_names(plan.datasets)}; loss {result.loss_first:.4f} to "
                    f"{result.loss_last:.4f}. Load with peft.PeftModel.from_pretrained."
                ),
                contentType="text/plain",
            ),
            "tags": tags(
                step="training",
                base_model=base.source,
                base_model_fingerprint=base.fingerprint,
                lora_r=str(lora.r),
                final_loss=f"{result.loss_last:.4f}",
            ),
            "lifecycleStateChange": lifecycle(plan.replaced),
        }
    )
    return OutputDataset(
        namespace=target.namespace,
        name=target.name,
        facets=facets,
        outputFacets={
            "outputStatistics": (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    size=result.output.size_bytes, fileCount=len(result.output.files)
                )
            )
        },
    )


def job_facets(plan: TrainingPlan) -> dict[str, JobFacet]:
    settings = plan.training
    length = f"{settings.max_steps} steps" if settings.max_steps else f"{settings.epochs} epoch(s)"
    return task_job_facets(
        f"LoRA fine-tune {plan.base_model} (r={plan.lora.r}, alpha={plan.lora.alpha}) on "
        f"{_names(plan.datasets)} for {length} into {dataset_id(plan.output).uri}."
    )


def _names(datasets: Sequence[str]) -> str:
    return ", ".join(dataset_id(uri).uri for uri in datasets)


def training_lineage(
    plan: TrainingPlan,
    base: BaseModelInfo | None = None,
    infos: Sequence[SourceInfo] | None = None,
    result: TrainingResult | None = None,
    failed: bool = False,
) -> StepLineage:
    """Lineage at start (only ``plan``), completion, or ``failed`` (what the run got through).

    A failed run lists no outputs: it published none.
    """
    inputs = [
        parquet_input(
            uri,
            infos[index] if infos and index < len(infos) else None,
            result.rows_read[index] if result and index < len(result.rows_read) else None,
        )
        for index, uri in enumerate(plan.datasets)
    ]
    lineage = StepLineage(
        inputs=[*inputs, base_model_dataset(plan, base)],
        outputs=[] if failed else [adapter_dataset(plan, base, infos, result)],
        job_facets=job_facets(plan),
    )
    run_facets: dict[str, RunFacet] = {"executionParameters": execution_parameters(plan)}
    if plan.environment:
        run_facets["environmentVariables"] = environment_variables_run.EnvironmentVariablesRunFacet(
            environmentVariables=[
                environment_variables_run.EnvironmentVariable(name=name, value=value)
                for name, value in plan.environment
            ]
        )
    if result is not None:
        run_facets[facet_key("training")] = training_facet(plan, result)
        run_facets[facet_key("resourceUsage")] = resource_facet(plan, result)
    lineage.run_facets.update(run_facets)
    return lineage
