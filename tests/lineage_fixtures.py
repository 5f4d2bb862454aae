"""Builder output as the transports would send it, for the builders' unit tests (no Airflow)."""

from __future__ import annotations

import uuid
from typing import Any

from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.serde import Serde

from llm_lineage.lineage.standard_facets import StepLineage
from olvalidate import validate_event_text


def step_event(lineage: StepLineage, state: RunState, task: str) -> dict[str, Any]:
    """``lineage`` in a RunEvent of job ``dag.<task>``, serialized, parsed and validated strictly."""
    event = RunEvent(
        eventType=state,
        eventTime="2026-01-01T00:00:00Z",
        run=Run(runId=str(uuid.uuid5(uuid.NAMESPACE_URL, task)), facets=dict(lineage.run_facets)),
        job=Job(namespace="test", name=f"dag.{task}", facets=dict(lineage.job_facets)),
        inputs=list(lineage.inputs),
        outputs=list(lineage.outputs),
        producer="https://example.com/test",
    )
    return validate_event_text(Serde.to_json(event))
