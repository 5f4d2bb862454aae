"""The OpenLineage run of the running task, named as Airflow's OpenLineage provider names it.

The adapter's model card points at the run whose events describe it. The provider derives a
task instance's run id from its DAG, task, try number, logical date and map index; its
``lineage_run_id`` macro computes that same id inside the task, for operators and ``@task``
functions alike.
"""

from __future__ import annotations

import logging

from llm_lineage.hooks.compat import openlineage_run_macros
from llm_lineage.lineage.model_card import RunReference

log = logging.getLogger(__name__)


def current_run() -> RunReference | None:
    """This task instance's OpenLineage run; None outside a task or with OpenLineage disabled.

    Disabled means no events exist, and a card should not point at a run nobody recorded.
    Never raises: the card is worth less than the training run it describes.
    """
    from airflow.sdk import get_current_context

    try:
        task_instance = get_current_context()["ti"]
    except RuntimeError:  # no task is running: a hook called from a plain script
        return None
    try:
        macros = openlineage_run_macros()
        if macros is None:
            return None
        lineage_job_namespace, lineage_job_name, lineage_run_id = macros
        return RunReference(
            namespace=str(lineage_job_namespace()),
            job=str(lineage_job_name(task_instance)),
            run_id=str(lineage_run_id(task_instance)),
        )
    except Exception:
        log.warning("Could not compute this task's OpenLineage run id", exc_info=True)
        return None
