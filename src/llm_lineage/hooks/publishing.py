"""The Airflow side of publishing: the task instance that owns a run, masked footers, URIs.

The work (lock, private staging, swap or ordered upload, run ids) is ``llm_lineage.storage``,
which never imports Airflow. A hook adds what only Airflow knows: the task instance a busy
destination names (``task_owner``), the values Airflow's secrets masker hides in Parquet footers
(``hooks/masking.py``), and the URI lineage names a location by (``hooks/storage.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.progress import LogLike
from llm_lineage.hooks.masking import masked_footer
from llm_lineage.hooks.storage import location_uri
from llm_lineage.storage import publication as unit
from llm_lineage.storage import run_ids
from llm_lineage.storage.owner import DEFAULT_STALE_AFTER

log = logging.getLogger(__name__)


def task_owner() -> str | None:
    """The Airflow task instance running this code, so a busy destination names it."""
    try:
        from airflow.sdk import get_current_context

        ti = get_current_context()["ti"]
    except Exception:  # not in a task (a script, a test): host and pid name the run
        return None
    label = f"dag_id={ti.dag_id} task_id={ti.task_id} run_id={ti.run_id} try={ti.try_number}"
    map_index = getattr(ti, "map_index", None)
    return (
        f"{label} map_index={map_index}" if isinstance(map_index, int) and map_index >= 0 else label
    )


def publication(
    destination: ObjectStoragePath,
    owned: Iterable[str],
    *,
    owner: str | None = None,
    lock_timeout: float = 0.0,
    folder_is_output: bool = False,
    stale_after: float = DEFAULT_STALE_AFTER,
    logger: LogLike = log,
) -> AbstractContextManager[unit.Publication]:
    """``storage.publication.publication`` for a task: ``owner`` (default: the Airflow task
    instance) names the run, footers are masked, and the lock names the location's URI."""
    return unit.publication(
        destination,
        location_uri(destination),
        owned,
        label=owner or task_owner(),
        lock_timeout=lock_timeout,
        folder_is_output=folder_is_output,
        stale_after=stale_after,
        logger=logger,
        mask=masked_footer,
    )


def check_one_run(folder: ObjectStoragePath, names: Sequence[str]) -> None:
    """Raise ``MixedOutput`` when the named Parquet files in ``folder`` carry different run ids."""
    run_ids.check_one_run(folder, location_uri(folder), names)
