"""The plugin Airflow loads: the Lineage views, and the app under URL_PREFIX that serves them.

Airflow imports plugins in every process that loads them, the task processes included (they
integrate plugin macros), but only the API server serves the pages. So this module stays cheap:
the app is built on its first request (``LazyApp``), in the API server, and the Airflow API
modules it needs are imported then.
"""

from __future__ import annotations

import importlib
from typing import Any

from airflow.plugins_manager import AirflowPlugin

#: Where the API server mounts the app; the views' hrefs are relative to Airflow's base URL.
URL_PREFIX = "/llm-lineage"
_HREF = URL_PREFIX.lstrip("/")
#: ``{MAP_INDEX}`` is left as is on unmapped task instances; the app reads that as -1.
TASK_HREF = f"{_HREF}/dags/{{DAG_ID}}/runs/{{RUN_ID}}/tasks/{{TASK_ID}}?map_index={{MAP_INDEX}}"
RUN_HREF = f"{_HREF}/dags/{{DAG_ID}}/runs/{{RUN_ID}}"


class LazyApp:
    """An ASGI app that imports and builds ``factory`` (``module:function``) on first call."""

    def __init__(self, factory: str) -> None:
        self.factory = factory
        self._app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._app is None:
            module, _, function = self.factory.partition(":")
            self._app = getattr(importlib.import_module(module), function)()
        await self._app(scope, receive, send)


class LlmLineagePlugin(AirflowPlugin):
    name = "llm_lineage"
    fastapi_apps = [
        {
            "app": LazyApp("llm_lineage.plugins.app:create_app"),
            "url_prefix": URL_PREFIX,
            "name": "LLM Lineage",
        }
    ]
    external_views = [
        {
            "name": "Lineage",
            "href": TASK_HREF,
            "destination": "task_instance",
            "url_route": "llm-lineage",
        },
        {
            "name": "Lineage",
            "href": RUN_HREF,
            "destination": "dag_run",
            "url_route": "llm-lineage-run",
        },
    ]
