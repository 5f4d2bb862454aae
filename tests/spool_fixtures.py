"""Events and spools for the spool transport's tests and its commands' tests.

The ``backend`` fixture (a Marquez-like server, not started) is visible to every test module
(``tests/conftest.py`` loads this module with ``pytest_plugins``).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openlineage.client import event_v2

from lineage_servers import FakeMarquez
from llm_lineage.transports.spool import SpoolConfig, SpoolTransport

SPOOL_TYPE = "llm_lineage.transports.spool.SpoolTransport"


def make_event(job: str, state: str, run_id: str | None = None) -> event_v2.RunEvent:
    return event_v2.RunEvent(
        eventType=event_v2.RunState(state),
        eventTime="2026-11-28T10:00:00.000000+00:00",
        run=event_v2.Run(runId=run_id or str(uuid.uuid4())),
        job=event_v2.Job(namespace="spool-test", name=f"dag.{job}"),
        inputs=[event_v2.InputDataset(namespace="file", name="/data/in")],
        outputs=[event_v2.OutputDataset(namespace="file", name="/data/out")],
        producer="https://github.com/airflow-provider-llm-lineage/tests",
    )


def run_pairs(count: int, prefix: str = "task") -> list[event_v2.RunEvent]:
    """START then COMPLETE for ``count`` runs, in emit order."""
    events = []
    for number in range(count):
        run_id = str(uuid.uuid4())
        events += [
            make_event(f"{prefix}{number}", "START", run_id),
            make_event(f"{prefix}{number}", "COMPLETE", run_id),
        ]
    return events


def spool_transport(directory: Path, url: str, **extra: Any) -> SpoolTransport:
    config = {
        "type": SPOOL_TYPE,
        "directory": str(directory),
        "transport": {"type": "http", "url": url, "timeout": extra.pop("timeout", 5)},
        "background": False,
        **extra,
    }
    return SpoolTransport(SpoolConfig.from_dict(config))


@pytest.fixture(name="backend")
def fake_marquez() -> Iterator[FakeMarquez]:
    server = FakeMarquez()
    yield server
    server.stop()
