"""Test DAG for the plugin's bounds: plain @tasks that push hostile values under the lineage key.

Any task may push XCom ``llm_lineage``; the Lineage pages must stay small and styled whatever
it holds: 1,000 inputs x 1,000 outputs, a loss-curve step of 401 digits, sizes and durations
too large for a float, datasets and facets of the wrong shape.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, get_current_context, task

KEY = "llm_lineage"
WIDE = 1000
HUGE = 10**400  # 401 digits: no float holds it


def _dataset(name: str, **facets: object) -> dict[str, object]:
    return {"namespace": "file", "name": name, "facets": dict(facets)}


def _push(document: dict[str, object]) -> None:
    get_current_context()["ti"].xcom_push(key=KEY, value={"documentVersion": 1, **document})


@task
def wide() -> None:
    _push(
        {
            "eventType": "COMPLETE",
            "inputs": [_dataset(f"/wide/in/{i:04d}") for i in range(WIDE)],
            "outputs": [_dataset(f"/wide/out/{i:04d}") for i in range(WIDE)],
        }
    )


@task
def huge_step() -> None:
    curve = [{"step": 1, "loss": 2.0}, {"step": HUGE, "loss": 1.0}]
    _push(
        {"eventType": "COMPLETE", "run": {"facets": {"llmLineage_training": {"lossCurve": curve}}}}
    )


@task
def huge_numbers() -> None:
    statistics = {"outputStatistics": {"rowCount": HUGE, "size": HUGE}}
    output = {**_dataset("/huge"), "outputFacets": statistics}
    resources = {"wallSeconds": HUGE, "cpuSeconds": -HUGE, "peakMemoryBytes": HUGE}
    _push(
        {
            "eventType": "COMPLETE",
            "outputs": [output],
            "run": {"facets": {"llmLineage_resourceUsage": resources}},
        }
    )


@task
def plain() -> str:
    return "no lineage here"


with DAG("plugin_hostile", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    wide() >> huge_step() >> huge_numbers() >> plain()
