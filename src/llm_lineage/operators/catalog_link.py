"""The "Lineage in catalog" extra link: the task's main output in a lineage catalog.

The URL comes from ``[llm_lineage] catalog_url_template`` (``AIRFLOW__LLM_LINEAGE__
CATALOG_URL_TEMPLATE``), so one setting serves Marquez, DataHub or any catalog that addresses a
dataset by its OpenLineage namespace and name. Placeholders, each URL-encoded: ``{namespace}``,
``{name}``, ``{platform}`` (the namespace's scheme: ``file``, ``s3``, ``gs``, ...), ``{uri}``,
``{dag_id}``, ``{task_id}``, ``{run_id}``. Without a template, or before the task has written
its output, the link is empty and the UI shows no button.

Airflow 3 computes extra links on the worker when the task ends and keeps them in XCom, so the
link works the same on every executor. The output is read from the task's return value (each
operator returns its output's URI under ``catalog_output``), which exists only after success.
"""

from __future__ import annotations

import logging
import string
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from airflow.sdk import BaseOperatorLink, conf

from llm_lineage.lineage.naming import DatasetId, dataset_id

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

log = logging.getLogger(__name__)

SECTION = "llm_lineage"
OPTION = "catalog_url_template"
PLACEHOLDERS = ("namespace", "name", "platform", "uri", "dag_id", "task_id", "run_id")


class CatalogLink(BaseOperatorLink):
    """Opens the task's main output (text, tokens or adapter) in the configured catalog."""

    name = "Lineage in catalog"

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        template = conf.get(SECTION, OPTION, fallback="") or ""
        if not template.strip():
            return ""
        from airflow.providers.common.compat.sdk import XCom

        returned = XCom.get_value(ti_key=ti_key, key="return_value")
        key = getattr(operator, "catalog_output", None)
        uri = returned.get(key) if isinstance(returned, dict) and key else None
        if not isinstance(uri, str):
            return ""
        ids = {"dag_id": ti_key.dag_id, "task_id": ti_key.task_id, "run_id": ti_key.run_id}
        return catalog_url(template, dataset_id(uri), **ids)


def catalog_url(template: str, dataset: DatasetId, **ids: str) -> str:
    """Fill ``template`` with the dataset's placeholders and ``ids``; empty if it is not valid.

    Only plain ``{placeholder}`` fields are filled (no ``{name.attr}`` or format specs): the
    template is configuration, and a mistake in it must not fail a task or reach the UI half
    filled, so it is logged instead.
    """
    values: dict[str, Any] = {
        "namespace": dataset.namespace,
        "name": dataset.name,
        "platform": dataset.namespace.split("://", 1)[0],
        "uri": dataset.uri,
        **ids,
    }
    try:
        fields = [
            (field, spec, conversion)
            for _, field, spec, conversion in string.Formatter().parse(template)
            if field is not None
        ]
    except ValueError as error:
        log.warning("[%s] %s is not a valid template: %s", SECTION, OPTION, error)
        return ""
    unknown = sorted(
        "{" + field + "}"
        for field, spec, conversion in fields
        if field not in PLACEHOLDERS or spec or conversion
    )
    if unknown:
        log.warning(
            "[%s] %s has fields other than plain placeholders: %s; known: %s",
            SECTION,
            OPTION,
            ", ".join(unknown),
            ", ".join(PLACEHOLDERS),
        )
        return ""
    return template.format_map({key: quote(str(value), safe="") for key, value in values.items()})
