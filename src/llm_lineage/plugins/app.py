"""The FastAPI app the API server mounts under ``/llm-lineage``: the two Lineage pages.

Every route needs a user the auth manager knows (JWT cookie or bearer token) who may read the
DAG's task instances and their XComs: the pages show XCom values, so they ask exactly what
Airflow's own XCom API asks. The checks are Airflow's ``requires_access_dag`` dependencies, so
whichever auth manager is configured decides.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from llm_lineage.plugins.render import page
from llm_lineage.plugins.run_view import run_view
from llm_lineage.plugins.store import run_reports, task_report
from llm_lineage.plugins.task_view import task_view

log = logging.getLogger(__name__)

READ_LINEAGE = [
    Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.TASK_INSTANCE)),
    Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM)),
]

router = APIRouter(dependencies=READ_LINEAGE, default_response_class=HTMLResponse)


def map_index_of(value: str | None) -> int:
    """The task instance's map index; -1 (not mapped) unless ``value`` is an integer.

    The UI replaces ``{MAP_INDEX}`` in the tab's URL only on mapped task instances, and leaves
    the placeholder as it is on the others.
    """
    try:
        return int(value) if value is not None else -1
    except ValueError:
        return -1


def _shown(template: str, **context: Any) -> HTMLResponse:
    """The page, or a short error page if a document's shape defeats the template."""
    try:
        return page(template, **context)
    except Exception:
        log.exception("Could not render the llm-lineage page %s", template)
        return page(
            "message.html",
            500,
            title="Lineage could not be shown",
            message="This lineage document could not be shown; the API server's log says why.",
        )


@router.get("/dags/{dag_id}/runs/{run_id}/tasks/{task_id}")
def task_page(
    dag_id: str, run_id: str, task_id: str, session: SessionDep, map_index: str | None = None
) -> HTMLResponse:
    """The Lineage tab of one task instance."""
    index = map_index_of(map_index)
    report = task_report(session, dag_id, run_id, task_id, index)
    if report is None:
        where = f"{task_id}" + (f"[{index}]" if index >= 0 else "")
        return page(
            "message.html",
            404,
            title="No such task instance",
            message=f"No task instance {where} in run {run_id} of DAG {dag_id}.",
        )
    return _shown("task.html", view=task_view(dag_id, run_id, report))


@router.get("/dags/{dag_id}/runs/{run_id}")
def run_page(dag_id: str, run_id: str, session: SessionDep) -> HTMLResponse:
    """The Lineage view of a DAG run: its datasets and the tasks between them."""
    found = run_reports(session, dag_id, run_id)
    if not found.total:
        return page(
            "message.html",
            404,
            title="No such DAG run",
            message=f"No task instances in run {run_id} of DAG {dag_id}.",
        )
    return _shown("run.html", view=run_view(dag_id, run_id, found))


async def _error_page(request: Request, exc: Exception) -> Response:
    """Errors as a page like the others (a tab shows them), with the same status and headers."""
    assert isinstance(exc, HTTPException)
    response = page("message.html", exc.status_code, title="Lineage", message=str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def create_app() -> FastAPI:
    app = FastAPI(title="LLM Lineage", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_exception_handler(HTTPException, _error_page)
    app.include_router(router)
    return app
