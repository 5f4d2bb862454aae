"""Test DAG scheduled on the token file that ``asset_pipeline`` writes, by its URI.

``Asset(uri)``, named by its URI as the README says: tokenization's event must reach it before
it has ever had one, when the task SDK has no quiet look-up by URI.
"""

from __future__ import annotations

import datetime
import os
from typing import Any

from airflow.sdk import DAG, Asset, task

from llm_lineage.lineage.naming import dataset_id

TOKENS = Asset(dataset_id(os.environ.get("TEST_ASSET_TOKENS", "/nonexistent")).uri)


@task
def read_tokens(triggering_asset_events: Any = None) -> dict[str, Any]:
    """The token file and its version, from the event that triggered this run."""
    [event] = triggering_asset_events[TOKENS]
    found = {"tokens": dataset_id(event.asset.uri).location, "version": event.extra["version"]}
    print(f"TRIGGERED BY {found}")
    return found


with DAG(
    "asset_consumer",
    schedule=[TOKENS],
    start_date=datetime.datetime(2024, 1, 1),
    is_paused_upon_creation=False,
):
    read_tokens()
