"""Base models and LoRA adapters as DataHub ML models, adapters grouped by where they are written.

Each adapter a run writes is one ``mlModel`` (named ``<location>@<first 16 of its weights'
sha256>``) in the ``mlModelGroup`` of its location, as DataHub's MLflow source makes one model
per registered version: retraining adds a version, it does not overwrite the last one's
hyperparameters and losses. A base model is one ``mlModel`` per location (a hub id's on the
``huggingface`` platform), its fingerprint as version.

Lineage runs the way DataHub draws ML lineage: base model —``downstreamJobs``→ training job
←``trainingJobs``— adapter, and ``mlModelTrainingData`` names the token datasets with the
transformation chain that made them, then the text and documents upstream of them as far as
the catalog's ``upstreamLineage`` reaches (``UPSTREAM_HOPS``).
"""

from __future__ import annotations

from typing import Any

from datahub.metadata.schema_classes import (
    BaseDataClass,
    MLModelGroupPropertiesClass,
    MLModelPropertiesClass,
    StatusClass,
    TimeStampClass,
    TrainingDataClass,
    VersionTagClass,
)

from llm_lineage.events import keys
from llm_lineage.transports.datahub.code import add_source_code, code_properties
from llm_lineage.transports.datahub.common import (
    add_ownership,
    add_sub_types,
    add_tags,
    description,
    is_model,
    tag_names,
    tag_properties,
    version,
)
from llm_lineage.transports.datahub.context import Context
from llm_lineage.transports.datahub.datasets import OWN_ASPECTS, urn_of
from llm_lineage.transports.datahub.event import facet
from llm_lineage.transports.datahub.names import location_uri, model_group_urn, model_urn
from llm_lineage.transports.datahub.properties import facet_properties, flatten, text
from llm_lineage.transports.datahub.training import hyper_params, training_metrics

UPSTREAM_HOPS = 3
#: Run facts kept on the adapter beside its hyperparameters and metrics.
_RUN_FACTS = (
    "status",
    "device",
    "deviceName",
    "precision",
    "libraries",
    "lossCurve",
    "worldSize",
    "backend",
)


def _basename(item: dict[str, Any]) -> str:
    return str(item["name"]).rstrip("/").rsplit("/", 1)[-1] or str(item["name"])


def _known_list(context: Context, urn: str, aspect: str, key: str) -> list[str]:
    value = (context.known.aspect(urn, aspect) or {}).get(key)
    return [str(v) for v in value] if isinstance(value, list) else []


def _union(*lists: list[str]) -> list[str]:
    return list(dict.fromkeys(item for items in lists for item in items))


def model_identity(item: dict[str, Any], context: Context, role: str) -> str | None:
    """The model URN of a model dataset; None when it has none yet (an adapter before COMPLETE)."""
    if role == "input":
        return model_urn(item["namespace"], item["name"], context.config.env)
    adapter_version = version(item)
    if not adapter_version:
        return None
    return model_urn(item["namespace"], item["name"], context.config.env, adapter_version)


def add_base_model(context: Context, item: dict[str, Any], job: str | None) -> str:
    urn = str(model_identity(item, context, "input"))
    if not (context.ours and context.event_type in ("COMPLETE", "FAIL")):
        context.add(urn, StatusClass(removed=False))
        return urn
    known = context.known.aspect(urn, "mlModelProperties") or {}
    properties = dict(known.get("customProperties") or {})
    properties.update(facet_properties(item.get("facets") or {}, skip=OWN_ASPECTS))
    properties.update(tag_properties(item))
    tags = {str(t["key"]): str(t.get("value")) for t in facet(item, keys.TAGS).get("tags") or []}
    context.add(
        urn,
        MLModelPropertiesClass(
            name=known.get("name") or _basename(item),
            description=description(item) or known.get("description"),
            version=VersionTagClass(versionTag=version(item)) if version(item) else None,
            type=tags.get("llm_lineage.model_type") or known.get("type"),
            customProperties=properties,
            externalUrl=location_uri(item["namespace"], item["name"]),
            trainingJobs=known.get("trainingJobs"),
            downstreamJobs=_union(
                _known_list(context, urn, "mlModelProperties", "downstreamJobs"),
                [job] if job else [],
            ),
            groups=known.get("groups"),
        ),
    )
    add_sub_types(context, urn, item)
    return urn


def add_adapter(context: Context, item: dict[str, Any], jobs: list[str]) -> str | None:
    """The adapter model, its group and training data; only on COMPLETE (it has a version)."""
    urn = model_identity(item, context, "output")
    if urn is None:
        return None
    if not (context.ours and context.completes):
        context.add(urn, StatusClass(removed=False))
        return urn
    group = model_group_urn(item["namespace"], item["name"], context.config.env)
    _group(context, group, item, jobs[:1])
    run = context.event.get("run") or {}
    properties = facet_properties(item.get("facets") or {}, skip=OWN_ASPECTS)
    properties.update(tag_properties(item))
    training = facet(run, keys.TRAINING)
    for key in _RUN_FACTS:
        if key in training:
            flatten(training[key], f"training.{key}", properties)
    bases = [model_identity(i, context, "input") for i in _inputs(context) if is_model(i)]
    properties["baseModel.urn"] = text([str(b) for b in bases])
    properties.update(code_properties(context.event))
    _model_properties(context, urn, item, properties, jobs, group)
    add_source_code(context, urn)
    context.add(urn, _training_data(context, item))
    add_sub_types(context, urn, item)
    add_tags(context, urn, tag_names(item))
    add_ownership(context, urn)
    return urn


def _model_properties(
    context: Context,
    urn: str,
    item: dict[str, Any],
    properties: dict[str, str],
    jobs: list[str],
    group: str,
) -> None:
    run = context.event.get("run") or {}
    adapter_version = str(version(item))
    context.add(
        urn,
        MLModelPropertiesClass(
            name=f"{_basename(item)} {adapter_version[:12]}",
            description=description(item),
            version=VersionTagClass(versionTag=adapter_version),
            type="LoRA adapter" if facet(item, keys.ADAPTER) else None,
            date=context.time_ms,
            created=TimeStampClass(time=context.time_ms, actor=context.stamp().actor),
            customProperties=properties,
            externalUrl=location_uri(item["namespace"], item["name"]),
            hyperParams=hyper_params(run, item) or None,
            trainingMetrics=training_metrics(run) or None,
            trainingJobs=jobs,
            groups=[group],
        ),
    )


def _group(context: Context, group: str, item: dict[str, Any], jobs: list[str]) -> None:
    location = location_uri(item["namespace"], item["name"])
    context.add(
        group,
        MLModelGroupPropertiesClass(
            name=_basename(item),
            description=f"LoRA adapters written to {location}, one model per trained version.",
            customProperties={"location": location, "latestVersion": str(version(item))},
            trainingJobs=_union(
                _known_list(context, group, "mlModelGroupProperties", "trainingJobs"), jobs
            ),
        ),
    )
    add_ownership(context, group)


def _inputs(context: Context) -> list[dict[str, Any]]:
    return list(context.event.get("inputs") or [])


def step_line(step: dict[str, Any]) -> str:
    """One transformation step as a line of ``preProcessing``."""
    head = f"{step.get('step', '?')}.{step.get('name', '?')}"
    parts = [head, str(step.get("description") or "")]
    parts.append(" ".join(str(step[k]) for k in ("library", "version") if step.get(k)))
    if step.get("parameters"):
        parts.append(f"parameters {text(step['parameters'])}")
    if step.get("fingerprint"):
        parts.append(f"fingerprint {step['fingerprint']}")
    return " | ".join(part for part in parts if part)


def _training_data(context: Context, adapter: dict[str, Any]) -> TrainingDataClass:
    steps = facet(adapter, keys.TRANSFORMATIONS).get("steps") or []
    preprocessing = [step_line(s) for s in steps if s.get("step") != "training"]
    data: list[BaseDataClass] = []
    seen: set[str] = set()
    for item in _inputs(context):
        if is_model(item):
            continue
        urn = urn_of(item, context)
        seen.add(urn)
        data.append(
            BaseDataClass(
                dataset=urn,
                motivation=f"training data, datasetVersion {version(item)}",
                preProcessing=preprocessing or None,
            )
        )
    data += _upstream_data(context, [d.dataset for d in data], seen)
    return TrainingDataClass(trainingData=data)


def _upstream_data(context: Context, start: list[str], seen: set[str]) -> list[BaseDataClass]:
    """The datasets upstream of the training data, nearest first, as the catalog knows them."""
    out: list[BaseDataClass] = []
    frontier = list(start)
    for hop in range(1, UPSTREAM_HOPS + 1):
        following: list[str] = []
        for child in frontier:
            lineage = context.known.aspect(child, "upstreamLineage") or {}
            for upstream in lineage.get("upstreams") or []:
                parent = str(upstream.get("dataset") or "")
                if not parent or parent in seen:
                    continue
                seen.add(parent)
                following.append(parent)
                out.append(
                    BaseDataClass(
                        dataset=parent,
                        motivation=f"upstream of the training data ({hop} step(s)): "
                        f"{child} was made from it",
                    )
                )
        frontier = following
    return out
