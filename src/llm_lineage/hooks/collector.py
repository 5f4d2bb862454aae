"""Report a hook's inputs and outputs to Airflow's hook lineage collector.

Used when a hook is called from a ``@task``: the OpenLineage provider turns what was collected
into the task's input and output datasets, so TaskFlow users get lineage without our operators.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)


def report_hook_lineage(hook: Any, inputs: Iterable[str], outputs: Iterable[str]) -> None:
    """Add each URI as an input or output asset with ``hook`` as its context; never raises."""
    try:
        from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

        collector = get_hook_lineage_collector()
        for uri in inputs:
            collector.add_input_asset(context=hook, uri=uri)
        for uri in outputs:
            collector.add_output_asset(context=hook, uri=uri)
    except Exception:  # lineage must never fail the work it describes
        log.warning("Could not report hook lineage", exc_info=True)
