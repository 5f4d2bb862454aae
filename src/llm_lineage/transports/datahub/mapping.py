"""One OpenLineage event (a plain dict) to the DataHub metadata change proposals it means.

The event is read, never trusted to be complete: any facet may be missing, and an event from
another operator (no ``llmLineage_`` facets) or another producer still becomes its datasets,
job and run. Which aspect each fact lands in is decided in ``datasets.py``, ``models.py`` and
``jobs.py``; this module only walks the event in order (job, inputs, outputs, run) so that the
URNs each needs (the job for a model's ``downstreamJobs``, the models for the run's outputs)
exist when it is built.
"""

from __future__ import annotations

from typing import Any

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata.schema_classes import StatusClass

from llm_lineage.transports.datahub import datasets, jobs, models
from llm_lineage.transports.datahub.common import is_model
from llm_lineage.transports.datahub.config import DataHubConfig
from llm_lineage.transports.datahub.context import Context, Known, NothingKnown
from llm_lineage.transports.datahub.event import airflow_ids, epoch_millis, is_ours
from llm_lineage.transports.datahub.names import dataset_urn


def proposals(
    event: dict[str, Any], config: DataHubConfig, known: Known | None = None
) -> list[MetadataChangeProposalWrapper]:
    """The proposals for ``event``; the same event always gives the same proposals."""
    context = Context(
        config=config,
        event=event,
        event_type=str(event.get("eventType") or "OTHER").upper(),
        time_ms=epoch_millis(event.get("eventTime")),
        known=known or NothingKnown(),
        ours=is_ours(event),
    )
    if "run" not in event:
        _static(context)
        return context.proposals
    ids = airflow_ids(event)
    context.owners = ids.owners if ids else []
    urns = jobs.identities(context, ids)
    inputs = [_input(context, item, urns) for item in event.get("inputs") or []]
    outputs = [_output(context, item, urns) for item in event.get("outputs") or []]
    io = ([u for u in inputs if u], [u for u in outputs if u])
    if config.emit_jobs:
        jobs.add_flow(context, urns, ids)
        jobs.add_job(context, urns, ids, io)
        jobs.add_run(context, urns, ids, io)
    jobs.add_training_run(context, urns, list(event.get("outputs") or []))
    return context.proposals


def _input(context: Context, item: dict[str, Any], urns: jobs.JobUrns) -> str | None:
    if is_model(item):
        return models.add_base_model(context, item, urns.job)
    return datasets.add_dataset(context, item, "input")


def _output(context: Context, item: dict[str, Any], urns: jobs.JobUrns) -> str | None:
    if is_model(item):
        return models.add_adapter(context, item, [u for u in (urns.job, urns.run) if u])
    return datasets.add_dataset(context, item, "output")


def _static(context: Context) -> None:
    """Dataset and job events (no run): the datasets they name are made to exist."""
    event = context.event
    named = [event.get("dataset"), *(event.get("inputs") or []), *(event.get("outputs") or [])]
    for item in named:
        if isinstance(item, dict) and item.get("namespace") and item.get("name"):
            urn = dataset_urn(item["namespace"], item["name"], context.config.env)
            context.add(urn, StatusClass(removed=False))
