"""Code location and environment for ``@task`` functions that call this provider's hooks.

A hook called from a ``@task`` reports its datasets to Airflow's hook lineage collector, and the
OpenLineage provider puts them on the task's events; the provider reads nothing else from the
collector, and only an extractor can give a task job facets. ``TaskFlowExtractor`` is that
extractor, for the TaskFlow operators, enabled by a platform team with
``[openlineage] extractors = llm_lineage.operators.taskflow.TaskFlowExtractor``.

For a task instance whose hooks recorded their provenance (``hooks/collector.py``), its COMPLETE
and FAIL events get the standard ``sourceCodeLocation`` job facet and the
``llmLineage_environment`` run facet, through ``with_provenance`` and ``operator_lineage`` as
every operator's do; the provider then adds the hooks' datasets. START has none: no hook has
run yet. Any other task gets exactly what the provider gives a task it has no extractor for:
the collected datasets, else the ``unknownSourceAttribute`` run facet (and the task's inlets and
outlets, which the provider adds in both cases). The extractor never raises: the provider would
drop the task's lineage. The provider imports it in every task process, so what only a task
with our hooks needs (pyarrow, the facets) is imported inside the functions that need it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow.providers.openlineage.extractors import BaseExtractor, OperatorLineage

from llm_lineage.hooks.collector import PROVENANCE_EXTRA, task_key
from llm_lineage.hooks.compat import (
    hook_lineage_collector,
    hook_lineage_enabled,
    translate_asset,
    unknown_source_run_facets,
)

if TYPE_CHECKING:
    from llm_lineage.lineage.provenance import StepProvenance

#: The operators ``@task``, ``@task.branch`` and ``@task.short_circuit`` make; the provider
#: has no extractor of its own for them.
TASKFLOW_OPERATORS = (
    "_PythonDecoratedOperator",
    "_BranchPythonDecoratedOperator",
    "_ShortCircuitDecoratedOperator",
)


class TaskFlowExtractor(BaseExtractor):
    """The OpenLineage extractor of TaskFlow tasks: our hooks' provenance, else the default."""

    @classmethod
    def get_operator_classnames(cls) -> list[str]:
        return list(TASKFLOW_OPERATORS)

    def _execute_extraction(self) -> OperatorLineage:
        return self._lineage(None)

    def extract_on_complete(self, task_instance: Any) -> OperatorLineage:
        return self._lineage(task_instance)

    def extract_on_failure(self, task_instance: Any) -> OperatorLineage:
        return self._lineage(task_instance)

    def _lineage(self, task_instance: Any) -> OperatorLineage:
        try:
            collector = hook_lineage_collector()
            enabled = hook_lineage_enabled(self.operator)
            if task_instance is not None and collector is not None and enabled:
                provenance = task_provenance(collector.collected_assets, task_key(task_instance))
                if provenance is not None:
                    return provenance_lineage(provenance)
            if enabled and collector is not None and has_datasets(collector.collected_assets):
                return OperatorLineage()
        except Exception:
            self.log.warning("Could not read this task's hook provenance", exc_info=True)
        return OperatorLineage(run_facets=unknown_source_run_facets(self.operator))


def provenance_lineage(provenance: StepProvenance) -> OperatorLineage:
    """The code location and environment facets, bounded and masked as an operator's are."""
    from llm_lineage.lineage.provenance import with_provenance
    from llm_lineage.lineage.standard_facets import StepLineage
    from llm_lineage.operators.emission import operator_lineage

    return operator_lineage(with_provenance(StepLineage(), provenance))


def task_provenance(collected: Any, key: list[Any]) -> StepProvenance | None:
    """The provenance our hooks recorded for the task instance ``key``; None if none did.

    Under ``airflow dags test`` every task runs in one process and shares one collector, so
    records of other task instances are skipped. Several hooks in one task: their libraries.
    """
    records = [
        extra.value
        for extra in collected.extra
        if extra.key == PROVENANCE_EXTRA
        and isinstance(extra.value, dict)
        and extra.value.get("task") == key
    ]
    if not records:
        return None
    from llm_lineage.lineage.code_location import CodeLocation
    from llm_lineage.lineage.provenance import StepProvenance

    code = next((record["code"] for record in records if record.get("code")), None)
    libraries = sorted({name for record in records for name in record.get("libraries", ())})
    return StepProvenance(code=CodeLocation(**code) if code else None, libraries=tuple(libraries))


def has_datasets(collected: Any) -> bool:
    """Whether the provider finds datasets in what hooks collected (it then reports them)."""
    return any(
        translate_asset(info.asset, info.context) is not None
        for info in [*collected.inputs, *collected.outputs]
    )
