"""The DAG, its tasks and their runs: ``dataFlow``, ``dataJob`` and ``dataProcessInstance``.

URNs are the ones DataHub's Airflow plugin writes (``names.py``), so when both run they
describe one flow, one job per task and one instance per task run. A DAG's description,
owners and tags come from its DAG-level events; task events make the flow exist and describe
their job: inputs and outputs (from START and COMPLETE; a FAIL event names no outputs and
would erase them), upstream tasks, owners, tags. Each event adds a run event (STARTED, then
COMPLETE with SUCCESS or FAILURE) and the run's facts as properties; a training run also gets
``mlTrainingRunProperties`` and the sub-type ``ML Training Run``, which are written even
when ``emit_jobs`` is false, as the Airflow plugin never writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from datahub.metadata.schema_classes import (
    DataFlowInfoClass,
    DataJobInfoClass,
    DataJobInputOutputClass,
    DataProcessInstanceInputClass,
    DataProcessInstanceOutputClass,
    DataProcessInstancePropertiesClass,
    DataProcessInstanceRelationshipsClass,
    DataProcessInstanceRunEventClass,
    DataProcessInstanceRunResultClass,
    DataProcessRunStatusClass,
    DataProcessTypeClass,
    MLTrainingRunPropertiesClass,
    RunResultTypeClass,
    StatusClass,
    SubTypesClass,
)

from llm_lineage.events import keys
from llm_lineage.transports.datahub.code import code_properties
from llm_lineage.transports.datahub.common import add_ownership, add_tags, description
from llm_lineage.transports.datahub.context import Context
from llm_lineage.transports.datahub.event import AirflowIds, facet, facets_of
from llm_lineage.transports.datahub.names import (
    flow_urn,
    job_urn,
    location_uri,
    run_urn,
    task_run_key,
)
from llm_lineage.transports.datahub.properties import facet_properties, flatten, text
from llm_lineage.transports.datahub.training import hyper_params, is_training, training_metrics

TRAINING_RUN = "ML Training Run"
#: Fields of the provider's ``airflow`` facet kept on a task run (the plugin keeps the same).
_TASK_RUN_FIELDS = ("try_number", "map_index", "log_url")
_TASK_FIELDS = ("operator_class_path", "trigger_rule", "retries", "queue", "owner", "mapped")
#: Run facets that are bookkeeping or already an aspect of their own.
_RUN_SKIP = ("airflow", "airflowDagRun", "parent", "processing_engine", "tags")
_RESULTS = {
    "COMPLETE": RunResultTypeClass.SUCCESS,
    "FAIL": RunResultTypeClass.FAILURE,
    "ABORT": RunResultTypeClass.SKIPPED,
}


@dataclass
class JobUrns:
    flow: str
    job: str | None
    run: str
    parent_run: str | None
    name: str


def identities(context: Context, ids: AirflowIds | None) -> JobUrns:
    """Flow, job and run URNs; a non-Airflow event is a job of a flow named by its namespace."""
    config, job = context.config, context.event.get("job") or {}
    if ids is None:
        integration = str(facet(job, keys.JOB_TYPE).get("integration") or "openlineage").lower()
        flow = flow_urn(str(job.get("namespace")), config.cluster, None, integration)
        run = run_urn(context.run_id, config.cluster, integration)
        return JobUrns(flow, job_urn(flow, str(job.get("name"))), run, None, context.run_id)
    flow = flow_urn(ids.dag_id, config.cluster, config.platform_instance)
    run_id = ids.run_id or context.run_id
    if ids.task_id is None:
        return JobUrns(flow, None, run_urn(run_id, config.cluster), None, run_id)
    key = task_run_key(ids.dag_id, ids.task_id, run_id, ids.map_index)
    parent = run_urn(ids.run_id, config.cluster) if ids.run_id else None
    return JobUrns(flow, job_urn(flow, ids.task_id), run_urn(key, config.cluster), parent, key)


def add_flow(context: Context, urns: JobUrns, ids: AirflowIds | None) -> None:
    """DAG-level and non-Airflow events describe the flow; task events only make it exist."""
    if ids is not None and ids.task_id is not None:
        context.add(urns.flow, StatusClass(removed=False))
        return
    job, run = context.event.get("job") or {}, context.event.get("run") or {}
    properties: dict[str, str] = {"openlineage.job": f"{job.get('namespace')}/{job.get('name')}"}
    flatten(facet(run, keys.AIRFLOW_DAG_RUN).get("dag") or {}, "dag", properties)
    context.add(
        urns.flow,
        DataFlowInfoClass(
            name=ids.dag_id if ids else str(job.get("namespace")),
            description=description(job),
            customProperties=properties,
        ),
    )
    add_ownership(context, urns.flow)
    add_tags(context, urns.flow, ids.tags if ids else [])


def add_job(
    context: Context, urns: JobUrns, ids: AirflowIds | None, io: tuple[list[str], list[str]]
) -> None:
    if urns.job is None:
        return
    job, run = context.event.get("job") or {}, context.event.get("run") or {}
    task = facet(run, keys.AIRFLOW).get("task") or {}
    properties = {"openlineage.job": f"{job.get('namespace')}/{job.get('name')}"}
    properties.update({key: text(task[key]) for key in _TASK_FIELDS if key in task})
    flatten(facet(job, keys.JOB_TYPE), "jobType", properties)
    properties.update(code_properties(context.event, environment_too=False))
    name = ids.task_id if ids and ids.task_id else str(job.get("name"))
    context.add(
        urns.job,
        DataJobInfoClass(
            name=name,
            type="COMMAND",
            flowUrn=urns.flow,
            description=description(job),
            customProperties=properties,
        ),
    )
    if context.event_type in ("START", "COMPLETE"):
        upstream = [job_urn(urns.flow, t) for t in (ids.upstream_task_ids if ids else [])]
        context.add(
            urns.job,
            DataJobInputOutputClass(
                inputDatasets=sorted(u for u in io[0] if u.startswith("urn:li:dataset:")),
                outputDatasets=sorted(u for u in io[1] if u.startswith("urn:li:dataset:")),
                inputDatajobs=sorted(upstream) or None,
            ),
        )
    add_ownership(context, urns.job)
    add_tags(context, urns.job, ids.tags if ids else [])


def _run_properties(context: Context, ids: AirflowIds | None) -> dict[str, str]:
    run = context.event.get("run") or {}
    properties = {"openlineage.runId": context.run_id, "openlineage.eventType": context.event_type}
    if ids is not None:
        properties.update({"orchestrator": "airflow", "dag_id": ids.dag_id})
        properties.update({"task_id": ids.task_id or "", "run_id": ids.run_id or ""})
    instance = facet(run, keys.AIRFLOW).get("taskInstance") or {}
    properties.update({k: text(instance[k]) for k in _TASK_RUN_FIELDS if k in instance})
    flatten(facet(run, keys.AIRFLOW_DAG_RUN).get("dagRun") or {}, "dagRun", properties)
    properties.update(facet_properties(facets_of(run), skip=_RUN_SKIP))
    for item in context.event.get("inputs") or []:
        statistics = facet(item, keys.INPUT_STATISTICS)
        if statistics:
            flatten(statistics, f"input.{item['name']}", properties)
    return properties


def _run_type(context: Context) -> str:
    run = context.event.get("run") or {}
    source = facet(run, keys.AIRFLOW) or facet(run, keys.AIRFLOW_DAG_RUN)
    scheduled = (source.get("dagRun") or {}).get("run_type") == "scheduled"
    return DataProcessTypeClass.BATCH_SCHEDULED if scheduled else DataProcessTypeClass.BATCH_AD_HOC


def add_run(
    context: Context, urns: JobUrns, ids: AirflowIds | None, io: tuple[list[str], list[str]]
) -> None:
    log_url = (facet(context.event.get("run"), keys.AIRFLOW).get("taskInstance") or {}).get(
        "log_url"
    )
    context.add(
        urns.run,
        DataProcessInstancePropertiesClass(
            name=urns.name,
            type=_run_type(context),
            created=context.stamp(),
            customProperties=_run_properties(context, ids),
            externalUrl=log_url,
        ),
    )
    context.add(
        urns.run,
        DataProcessInstanceRelationshipsClass(
            parentTemplate=urns.job or urns.flow,
            parentInstance=urns.parent_run,
            upstreamInstances=[],
        ),
    )
    if io[0]:
        context.add(urns.run, DataProcessInstanceInputClass(inputs=io[0]))
    if io[1]:
        context.add(urns.run, DataProcessInstanceOutputClass(outputs=io[1]))
    _run_event(context, urns, ids)


def _run_event(context: Context, urns: JobUrns, ids: AirflowIds | None) -> None:
    attempt = ids.try_number if ids else None
    if context.event_type == "START":
        status, result = DataProcessRunStatusClass.STARTED, None
    elif context.event_type in _RESULTS:
        status = DataProcessRunStatusClass.COMPLETE
        result = DataProcessInstanceRunResultClass(
            type=_RESULTS[context.event_type], nativeResultType="airflow" if ids else "openlineage"
        )
    else:
        return
    context.add(
        urns.run,
        DataProcessInstanceRunEventClass(
            timestampMillis=context.time_ms, status=status, result=result, attempt=attempt
        ),
    )


def add_training_run(context: Context, urns: JobUrns, outputs: list[dict[str, Any]]) -> None:
    """Hyperparameters and metrics on the run (also of a failed one, as far as it got)."""
    run = context.event.get("run") or {}
    if not (is_training(run) and context.event_type in ("COMPLETE", "FAIL")):
        return
    training = facet(run, keys.TRAINING)
    properties: dict[str, str] = {}
    for key in ("status", "device", "deviceName", "precision", "libraries", "worldSize", "backend"):
        if key in training:
            flatten(training[key], key, properties)
    properties.update(code_properties(context.event))
    adapter = next((o for o in outputs if facet(o, keys.ADAPTER)), None)
    log_url = (facet(run, keys.AIRFLOW).get("taskInstance") or {}).get("log_url")
    context.add(
        urns.run,
        MLTrainingRunPropertiesClass(
            id=context.run_id,
            customProperties=properties,
            externalUrl=log_url,
            outputUrls=[location_uri(o["namespace"], o["name"]) for o in outputs] or None,
            hyperParams=hyper_params(run, adapter) or None,
            trainingMetrics=training_metrics(run) or None,
        ),
    )
    context.add(urns.run, SubTypesClass(typeNames=[TRAINING_RUN]))
