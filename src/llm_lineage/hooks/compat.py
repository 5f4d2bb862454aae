"""Every private or version-dependent Airflow import of this provider, in one place.

Airflow's public interface for providers is ``airflow.sdk``, ``airflow.providers.common.compat``
and, for custom extractors, ``airflow.providers.openlineage.extractors``. What this provider
needs beyond it (the secrets masker, the task SDK's asset event reader, the OpenLineage
provider's redactor, macros, emission policy and hook lineage checks) is imported here and
nowhere else (``tests/test_layering.py`` checks it), each inside a function so that importing
this module loads none of it, with the fallback for older releases next to the import it
replaces. The OpenLineage provider keeps its own ``version_compat.py`` for the same reason.
"""

from __future__ import annotations

from typing import Any


def secrets_masker() -> Any:
    """This process's Airflow secrets masker."""
    try:
        from airflow.sdk._shared.secrets_masker import _secrets_masker as masker
    except ImportError:  # Airflow 3.1
        from airflow.sdk.execution_time.secrets_masker import (  # type: ignore[no-redef]
            _secrets_masker as masker,
        )
    return masker()


def mask_secret(value: str) -> None:
    """Register ``value`` with the masker of this process and of the supervisor (task logs)."""
    try:  # this one also tells the supervisor, which writes the task log
        from airflow.sdk.log import mask_secret as mask
    except ImportError:  # pragma: no cover - Airflow 3 releases before it moved there
        from airflow.sdk.execution_time.secrets_masker import (  # type: ignore[no-redef]
            mask_secret as mask,
        )
    mask(value)


def inlet_events(asset_uri: str | None, alias_name: str | None) -> Any:
    """The task SDK's reader of asset events from the API server (``inlet_events`` uses it)."""
    from airflow.sdk.execution_time.context import InletEventsAccessor

    return InletEventsAccessor(asset_uri=asset_uri, alias_name=alias_name)


def openlineage_redactor(masker: Any) -> Any:
    """The redactor the OpenLineage provider applies to every event before sending it."""
    from airflow.providers.openlineage.utils.utils import OpenLineageRedactor

    return OpenLineageRedactor.from_masker(masker)


def openlineage_run_macros() -> tuple[Any, Any, Any] | None:
    """The provider's ``lineage_job_namespace``, ``lineage_job_name`` and ``lineage_run_id``
    macros; None when OpenLineage is not installed or is disabled."""
    try:
        from airflow.providers.openlineage import conf
        from airflow.providers.openlineage.plugins.macros import (
            lineage_job_name,
            lineage_job_namespace,
            lineage_run_id,
        )
    except ImportError:
        return None
    if conf.is_disabled():
        return None
    return lineage_job_namespace, lineage_job_name, lineage_run_id


def unknown_source_run_facets(task: Any) -> dict[str, Any]:
    """The ``unknownSourceAttribute`` run facet the provider gives a task it has no lineage for."""
    from airflow.providers.openlineage.utils.utils import get_unknown_source_attribute_run_facet

    facets: dict[str, Any] = get_unknown_source_attribute_run_facet(task=task)
    return facets


def hook_lineage_enabled(task: Any) -> bool:
    """Whether the ``[openlineage] emission_policy`` lets hook lineage reach ``task``'s events
    (always, with providers older than the emission policy)."""
    try:
        from airflow.providers.openlineage.utils.emission_policy import (
            resolve_task_emission_policy,
        )
    except ImportError:
        return True
    controls = resolve_task_emission_policy(operator=task, dag_id=task.dag_id, task_id=task.task_id)
    return bool(controls.hook_lineage)


def hook_lineage_collector() -> Any | None:
    """The process's hook lineage collector, or None when nothing ever created it.

    Creating it imports every provider's asset URI handlers (seconds), so a task that reported
    nothing must not create it just to find it empty; the OpenLineage provider's extractor
    manager checks the same way.
    """
    if not _collector_created():
        return None
    from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

    return get_hook_lineage_collector()


def _collector_created() -> bool:
    try:
        from airflow.providers.openlineage.extractors.manager import (
            _is_hook_lineage_collector_created,
        )
    except ImportError:  # providers before the check: assume created, as they do
        return True
    return bool(_is_hook_lineage_collector_created())


def translate_asset(asset: Any, context: Any) -> Any:
    """A collected Airflow asset as an OpenLineage dataset, as the provider translates it."""
    from airflow.providers.common.compat.openlineage.utils.utils import translate_airflow_asset

    return translate_airflow_asset(asset, context)
