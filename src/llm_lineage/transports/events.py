"""Spooled JSON back into the OpenLineage client's event classes, so any transport can send it.

Transports serialise with ``Serde``, which takes a plain dict too, but some look at the event's
class first (Kafka keys run events by job so that one run's events share a partition). Facets
stay plain dicts: ``attr.asdict`` passes them through unchanged, so what the backend receives is
byte for byte what was spooled.
"""

from __future__ import annotations

from typing import Any

from openlineage.client import event_v2


def _datasets(items: list[dict[str, Any]] | None, kind: type, extra: str) -> list[Any]:
    return [
        kind(
            namespace=item["namespace"],
            name=item["name"],
            facets=item.get("facets") or {},
            **{extra: item.get(extra) or {}},
        )
        for item in items or []
    ]


def _job(data: dict[str, Any]) -> event_v2.Job:
    return event_v2.Job(
        namespace=data["namespace"], name=data["name"], facets=data.get("facets") or {}
    )


def rehydrate(data: dict[str, Any]) -> Any:
    """A run, job or dataset event object for ``data``; the dict itself when it is none of them."""
    try:
        common = {"eventTime": data["eventTime"], "producer": data.get("producer", "")}
        if "run" in data:
            event: Any = event_v2.RunEvent(
                run=event_v2.Run(
                    runId=data["run"]["runId"], facets=data["run"].get("facets") or {}
                ),
                job=_job(data["job"]),
                eventType=event_v2.RunState(data["eventType"]) if data.get("eventType") else None,
                inputs=_datasets(data.get("inputs"), event_v2.InputDataset, "inputFacets"),
                outputs=_datasets(data.get("outputs"), event_v2.OutputDataset, "outputFacets"),
                **common,
            )
        elif "dataset" in data:
            dataset = data["dataset"]
            event = event_v2.DatasetEvent(
                dataset=event_v2.StaticDataset(
                    namespace=dataset["namespace"],
                    name=dataset["name"],
                    facets=dataset.get("facets") or {},
                ),
                **common,
            )
        elif "job" in data:
            event = event_v2.JobEvent(
                job=_job(data["job"]),
                inputs=_datasets(data.get("inputs"), event_v2.InputDataset, "inputFacets"),
                outputs=_datasets(data.get("outputs"), event_v2.OutputDataset, "outputFacets"),
                **common,
            )
        else:
            return data
    except (KeyError, TypeError, ValueError):
        return data
    if data.get("schemaURL"):
        event.schemaURL = data["schemaURL"]
    return event
