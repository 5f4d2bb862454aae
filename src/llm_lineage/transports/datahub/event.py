"""Reading an OpenLineage event (as a plain dict) for the DataHub mapping.

Inside the spool the forwarder hands transports an event rebuilt from JSON whose facets are
plain dicts, so everything here works on ``Serde.to_dict(event)``, never on facet classes.
This module decides which Airflow DAG, task and run an event is about, from the OpenLineage
provider's ``airflow`` / ``airflowDagRun`` run facets, falling back to the job name
(``<dag_id>.<task_id>``) and the ``parent`` facet when those facets are missing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from llm_lineage.events import keys

#: Prefix of this provider's custom facets.
CUSTOM_PREFIX = keys.PREFIX


def facets_of(item: dict[str, Any] | None, key: str = "facets") -> dict[str, Any]:
    value = (item or {}).get(key)
    return value if isinstance(value, dict) else {}


def facet(item: dict[str, Any] | None, which: keys.Facet) -> dict[str, Any]:
    """One facet of a dataset, run or job (``events/keys.py``), from the side it sits on."""
    return which.on(item)


def epoch_millis(stamp: Any) -> int:
    """Milliseconds since the epoch of an ISO 8601 time; now when it cannot be read."""
    try:
        moment = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError:
        return int(datetime.now(timezone.utc).timestamp() * 1000)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def listed(value: Any) -> list[str]:
    """A list the provider may send as its ``repr`` (``"['a', 'b']"``), as strings."""
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple, set)):
        return [str(item) for item in value]
    return []


@dataclass
class AirflowIds:
    """Which DAG, task, DAG run and task instance an event is about (task fields empty for DAGs)."""

    dag_id: str
    run_id: str | None
    task_id: str | None = None
    map_index: int | None = None
    try_number: int | None = None
    owners: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    upstream_task_ids: list[str] = field(default_factory=list)


def _owners(dag: dict[str, Any], job: dict[str, Any]) -> list[str]:
    """The DAG's owners, split on commas as DataHub's Airflow plugin splits ``dag.owner``."""
    owner = dag.get("owner")
    if isinstance(owner, str) and owner.strip():
        return [part.strip() for part in owner.split(",") if part.strip()]
    owners = facet(job, keys.JOB_OWNERSHIP).get("owners") or []
    return [str(o["name"]) for o in owners if isinstance(o, dict) and o.get("name")]


def _tags(dag: dict[str, Any], job: dict[str, Any]) -> list[str]:
    tags = listed(dag.get("tags"))
    if not tags:
        found = facet(job, keys.JOB_TAGS).get("tags") or []
        tags = [str(t["key"]) for t in found if isinstance(t, dict) and t.get("key")]
    return sorted(set(tags))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def airflow_ids(event: dict[str, Any]) -> AirflowIds | None:
    """The Airflow identity of ``event``; None for events from anything but Airflow."""
    run = event.get("run") or {}
    job = event.get("job") or {}
    task_facet, dag_facet = facet(run, keys.AIRFLOW), facet(run, keys.AIRFLOW_DAG_RUN)
    source = task_facet or dag_facet
    dag, dag_run = source.get("dag") or {}, source.get("dagRun") or {}
    task = task_facet.get("task") or {}
    instance = task_facet.get("taskInstance") or {}
    parent = facet(run, keys.PARENT).get("job") or {}
    dag_id = dag.get("dag_id") or dag_run.get("dag_id") or parent.get("name")
    task_id = task.get("task_id")
    name = str(job.get("name") or "")
    integration = str(facet(job, keys.JOB_TYPE).get("integration") or "").upper()
    if not dag_id or (not source and integration != "AIRFLOW"):
        return None
    if not task_id and dag_id and name.startswith(f"{dag_id}.") and not dag_facet:
        task_id = name[len(dag_id) + 1 :]
    return AirflowIds(
        dag_id=str(dag_id or name),
        run_id=dag_run.get("run_id"),
        task_id=str(task_id) if task_id else None,
        map_index=_int(instance.get("map_index")),
        try_number=_int(instance.get("try_number")),
        owners=_owners(dag, job),
        tags=_tags(dag, job),
        upstream_task_ids=listed(task.get("upstream_task_ids")),
    )


def is_ours(event: dict[str, Any]) -> bool:
    """Whether one of this provider's operators reported ``event`` (any ``llmLineage_`` facet)."""
    holders = [event.get("run") or {}, *(event.get("inputs") or []), *(event.get("outputs") or [])]
    return any(key.startswith(CUSTOM_PREFIX) for item in holders for key in facets_of(item))
