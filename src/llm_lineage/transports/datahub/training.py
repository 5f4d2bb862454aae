"""A training run's facets as DataHub hyperparameters and metrics (``MLHyperParam``, ``MLMetric``).

The same lists go on the adapter's ``mlModelProperties`` and on the run's
``mlTrainingRunProperties``: what was set (LoRA rank, alpha, dropout, target modules, every
training setting, the planned steps) and what came out (first, last and best loss, steps,
tokens, time, peak memory, the estimated cost with its currency and rate). Names are
snake_case; the source facet field is in each description.
"""

from __future__ import annotations

from typing import Any

from datahub.metadata.schema_classes import MLHyperParamClass, MLMetricClass

from llm_lineage.events import keys
from llm_lineage.transports.datahub.event import facet
from llm_lineage.transports.datahub.properties import snake, text

_LORA = keys.ADAPTER.fields("r", "alpha", "dropout", "targetModules", "bias", "taskType")
_METRICS = tuple(
    zip(
        keys.TRAINING.fields("steps", "epochs", "sequencesSeen", "tokensSeen", "durationSeconds"),
        ("steps", "epochs", "sequences_seen", "tokens_seen", "duration_seconds"),
        strict=True,
    )
)
_USAGE = tuple(
    zip(
        keys.RESOURCES.fields(
            "deviceCount",
            "computeSeconds",
            "wallSeconds",
            "cpuSeconds",
            "itemsPerSecond",
            "peakMemoryBytes",
            "peakDeviceMemoryBytes",
        ),
        (
            "device_count",
            "compute_seconds",
            "wall_seconds",
            "cpu_seconds",
            "tokens_per_second",
            "peak_memory_bytes",
            "peak_device_memory_bytes",
        ),
        strict=True,
    )
)


def _param(name: str, value: Any, source: str) -> MLHyperParamClass:
    return MLHyperParamClass(name=name, value=text(value), description=source)


def _metric(name: str, value: Any, source: str) -> MLMetricClass:
    return MLMetricClass(name=name, value=text(value), description=source)


def hyper_params(run: dict[str, Any], adapter: dict[str, Any] | None) -> list[MLHyperParamClass]:
    """LoRA settings from the adapter facet, then every training setting of the run."""
    out: list[MLHyperParamClass] = []
    lora = facet(adapter, keys.ADAPTER) if adapter else {}
    for key in _LORA:
        if lora.get(key) is not None:
            out.append(_param(f"lora_{snake(key)}", lora[key], f"{keys.ADAPTER.key}.{key}"))
    training = facet(run, keys.TRAINING)
    settings = training.get("hyperparameters") or {}
    for key in sorted(settings):
        if settings[key] is not None:
            out.append(
                _param(snake(key), settings[key], f"{keys.TRAINING.key}.hyperparameters.{key}")
            )
    if training.get("plannedSteps") is not None:
        out.append(_param("planned_steps", training["plannedSteps"], keys.TRAINING.key))
    return out


def training_metrics(run: dict[str, Any]) -> list[MLMetricClass]:
    """Losses, progress, time, memory and cost of the run (also of a failed one)."""
    training = facet(run, keys.TRAINING)
    usage = facet(run, keys.RESOURCES)
    out: list[MLMetricClass] = []
    loss = training.get("loss") or {}
    for key in ("first", "last", "best", "bestStep"):
        if loss.get(key) is not None:
            out.append(_metric(f"loss_{snake(key)}", loss[key], f"{keys.TRAINING.key}.loss.{key}"))
    out += [
        _metric(name, training[key], f"{keys.TRAINING.key}.{key}")
        for key, name in _METRICS
        if training.get(key) is not None
    ]
    out += [
        _metric(name, usage[key], f"{keys.RESOURCES.key}.{key}")
        for key, name in _USAGE
        if usage.get(key) is not None
    ]
    if usage.get("estimatedCost") is not None:
        rate = f"{usage.get('costPerHour')} {usage.get('currency') or ''} per hour".strip()
        out.append(
            _metric(
                "estimated_cost",
                usage["estimatedCost"],
                f"{keys.RESOURCES.key}.estimatedCost, {usage.get('currency') or ''} at {rate}",
            )
        )
    return out


def is_training(run: dict[str, Any]) -> bool:
    return bool(facet(run, keys.TRAINING))
