"""A fine-tuning run's own facets: hyperparameters (ours and the standard
``executionParameters``), the training record, and the resources every rank used."""

from __future__ import annotations

import json

from openlineage.client.facet_v2 import (
    execution_parameters_run,
)

from llm_lineage.facets import (
    DeviceUsage,
    Hyperparameters,
    LlmLineageResourceUsageRunFacet,
    LlmLineageTrainingRunFacet,
    LossSummary,
    RankProgress,
)
from llm_lineage.facets.training import LossPoint
from llm_lineage.lineage.training_plan import TrainingPlan
from llm_lineage.training import (
    TrainingResult,
    TrainingSettings,
)
from llm_lineage.training.settings import LAUNCHER

#: Ranks listed in the training and resource facets (the schemas' maxItems).
MAX_RANKS = 1024


def hyperparameters(settings: TrainingSettings, world_size: int = 1) -> Hyperparameters:
    """``effectiveBatchSize`` counts every process: a distributed step sees ``world_size`` times
    as many sequences."""
    return Hyperparameters(
        learningRate=settings.learning_rate,
        epochs=settings.epochs,
        maxSteps=settings.max_steps,
        batchSize=settings.batch_size,
        gradientAccumulationSteps=settings.gradient_accumulation_steps,
        effectiveBatchSize=settings.effective_batch_size * world_size,
        warmupSteps=settings.warmup_steps,
        weightDecay=settings.weight_decay,
        maxGradNorm=settings.max_grad_norm,
        seed=settings.seed,
        precision=settings.precision,
        device=settings.device,
        shuffleBuffer=settings.shuffle_buffer,
    )


def execution_parameters(
    plan: TrainingPlan,
) -> execution_parameters_run.ExecutionParametersRunFacet:
    """The hyperparameters and LoRA settings as OpenLineage's standard ``executionParameters``.

    For catalogs that show standard facets only; ``llmLineage_training`` stays the rich source.
    Keys are ``training.<field>`` and ``lora.<field>`` as the operator takes them; values are
    strings as given, anything else as JSON.
    """
    values = {
        **{f"training.{k}": v for k, v in plan.training.model_dump(mode="json").items()},
        **{f"lora.{k}": v for k, v in plan.lora.model_dump(mode="json").items()},
    }
    values.pop("training.progress_interval", None)
    if plan.distributed is not None:
        values.update(
            {f"distributed.{k}": v for k, v in plan.distributed.model_dump(mode="json").items()}
        )
        values["distributed.launcher"] = LAUNCHER
    return execution_parameters_run.ExecutionParametersRunFacet(
        parameters=[
            execution_parameters_run.ExecutionParameter(
                key=key, value=value if isinstance(value, str) else json.dumps(value)
            )
            for key, value in sorted(values.items())
        ]
    )


def training_facet(plan: TrainingPlan, result: TrainingResult) -> LlmLineageTrainingRunFacet:
    best = result.loss_best
    return LlmLineageTrainingRunFacet(
        status=result.failure.value if result.failure else "completed",
        hyperparameters=hyperparameters(plan.training, result.world_size),
        plannedSteps=result.planned_steps,
        steps=result.steps,
        epochs=round(result.epochs_done, 4),
        sequencesSeen=result.sequences_seen,
        tokensSeen=result.tokens_seen,
        loss=LossSummary(
            first=result.loss_first,
            last=result.loss_last,
            best=best.loss if best else None,
            bestStep=best.step if best else None,
        ),
        lossCurve=[LossPoint(step=p.step, loss=p.loss) for p in result.loss_curve()],
        durationSeconds=round(result.wall_seconds, 3),
        libraries=dict(result.libraries),
        device=result.device,
        deviceName=result.device_name,
        precision=result.precision,
        worldSize=result.world_size,
        backend=result.backend,
        launcher=result.launcher,
        ranks=[
            RankProgress(
                rank=r.rank, steps=r.steps, sequencesSeen=r.sequences_seen, tokensSeen=r.tokens_seen
            )
            for r in result.ranks[:MAX_RANKS]
        ]
        or None,
    )


def resource_facet(plan: TrainingPlan, result: TrainingResult) -> LlmLineageResourceUsageRunFacet:
    """Device time and, with ``cost_per_hour``, its estimated price, over every device.

    A distributed run holds ``world_size`` devices for its wall time: ``computeSeconds`` (the
    device-seconds) and the cost count them all; ``devices`` lists each rank's.
    """
    compute = result.wall_seconds * max(result.device_count, 1)
    cost = None
    if plan.cost_per_hour is not None:
        cost = round(compute / 3600 * plan.cost_per_hour, 6)
    return LlmLineageResourceUsageRunFacet(
        wallSeconds=round(result.wall_seconds, 3),
        cpuSeconds=round(result.cpu_seconds, 3),
        peakMemoryBytes=result.peak_memory_bytes,
        bytesWritten=result.output.size_bytes if result.output else None,
        itemsProcessed=result.tokens_seen,
        itemUnit="tokens",
        itemsPerSecond=round(result.tokens_per_second, 3),
        deviceKind=result.device,
        deviceName=result.device_name,
        deviceCount=result.device_count or None,
        computeSeconds=round(compute, 3),
        peakDeviceMemoryBytes=result.peak_device_memory_bytes,
        costPerHour=plan.cost_per_hour,
        estimatedCost=cost,
        currency=plan.currency if plan.cost_per_hour is not None else None,
        devices=[
            DeviceUsage(
                rank=r.rank,
                kind=r.device,
                name=r.device_name,
                wallSeconds=round(r.wall_seconds, 3),
                cpuSeconds=round(r.cpu_seconds, 3),
                peakMemoryBytes=r.peak_memory_bytes,
                peakDeviceMemoryBytes=r.peak_device_memory_bytes,
            )
            for r in result.ranks[:MAX_RANKS]
        ]
        or None,
    )
