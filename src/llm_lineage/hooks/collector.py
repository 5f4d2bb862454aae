"""Report a hook's inputs and outputs, and the step's provenance, to Airflow's hook lineage collector.

Used when a hook is called from a ``@task``: the OpenLineage provider turns what was collected
into the task's input and output datasets, so TaskFlow users get lineage without our operators.
Beside the datasets, each report adds one extra under ``PROVENANCE_EXTRA``: the task instance it
ran in (``task_key``), the libraries the step used and the code location of the task. The
provider ignores extras it does not know; ``operators/taskflow.py`` (``TaskFlowExtractor``, an
OpenLineage extractor a platform team enables) turns ours into the ``sourceCodeLocation`` job
facet and the ``llmLineage_environment`` run facet of that task's events.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)

#: The hook lineage extra that carries a step's provenance (``provenance_record``).
PROVENANCE_EXTRA = "llm_lineage.provenance"


def report_hook_lineage(hook: Any, inputs: Iterable[str], outputs: Iterable[str]) -> None:
    """Add each URI as an input or output asset with ``hook`` as its context, and the step's
    provenance as an extra (the libraries: the hook's ``step_libraries``); never raises."""
    try:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        collector = get_hook_lineage_collector()
        for uri in inputs:
            collector.add_input_asset(context=hook, uri=uri)
        for uri in outputs:
            collector.add_output_asset(context=hook, uri=uri)
        record = provenance_record(getattr(hook, "step_libraries", ()))
        if record is not None:
            collector.add_extra(context=hook, key=PROVENANCE_EXTRA, value=record)
    except Exception:  # lineage must never fail the work it describes
        log.warning("Could not report hook lineage", exc_info=True)


def provenance_record(libraries: Iterable[str]) -> dict[str, Any] | None:
    """The running task, the step's libraries and its code location, as JSON values.

    None outside a task (a hook called from a script): there is no task event to describe. The
    installed distributions are read here, once per process, so that the event, built in a
    process forked from this one, finds them cached. Imports inside: ``TaskFlowExtractor``
    imports this module in every task process, hooks or not.
    """
    from airflow.sdk import get_current_context

    from llm_lineage.hooks.code_location import current_code_location
    from llm_lineage.lineage.environment import installed

    try:
        ti = get_current_context()["ti"]
    except (RuntimeError, KeyError):
        return None
    code = current_code_location(ti.task)
    installed()
    return {
        "task": task_key(ti),
        "libraries": sorted(set(libraries)),
        "code": dataclasses.asdict(code) if code is not None else None,
    }


def task_key(ti: Any) -> list[Any]:
    """What tells one task instance (one try) from another, as a JSON value."""
    return [ti.dag_id, ti.run_id, ti.task_id, ti.map_index, ti.try_number]
