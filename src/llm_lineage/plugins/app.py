"""The FastAPI app the API server mounts under ``/llm-lineage``: the two Lineage pages.

Every route needs a user the auth manager knows (JWT cookie or bearer token) who may read the
DAG's task instances and their XComs: the pages show XCom values, so they ask exactly what
Airflow's own XCom API asks. The checks are Airflow's ``requires_access_dag`` dependencies, so
whichever auth manager is configured decides.

Every answer is one of the plugin's pages: whatever fails while a page is read or built (a
stored document of any shape, a database error) is logged and answered with a styled 500, an
unknown path or a map index no task instance can have with a styled 404. No answer is a
redirect: Starlette's trailing-slash redirect, built from the request's ``Host`` header, is off,
as in Airflow's own API.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
from airflow.api_fastapi.common.db.common import SessionDep
from airflow.api_fastapi.core_api.security import requires_access_dag
from fastapi import APIRouter, Depends, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from llm_lineage.events.kinds import dataset_kinds
from llm_lineage.plugins.render import page
from llm_lineage.plugins.run_view import run_view
from llm_lineage.plugins.store import TaskReport, run_reports, task_report
from llm_lineage.plugins.task_view import task_view

log = logging.getLogger(__name__)

READ_LINEAGE = [
    Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.TASK_INSTANCE)),
    Depends(requires_access_dag(method="GET", access_entity=DagAccessEntity.XCOM)),
]

router = APIRouter(dependencies=READ_LINEAGE, default_response_class=HTMLResponse)


#: Map indexes are 32-bit integers in Airflow's task instance table; -1 is "not mapped".
MAX_MAP_INDEX = 2**31 - 1
_INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def map_index_of(value: str | None) -> int | None:
    """The task instance's map index: -1 (not mapped) unless ``value`` is an integer, None
    (no such task instance) for an integer no task instance can have.

    The UI replaces ``{MAP_INDEX}`` in the tab's URL only on mapped task instances, and leaves
    the placeholder as it is on the others.
    """
    if value is None or not _INTEGER.fullmatch(value):
        return -1
    digits = value.strip().lstrip("+-").lstrip("0")
    if len(digits) > len(str(MAX_MAP_INDEX)):
        return None
    index = int(value)
    return index if -1 <= index <= MAX_MAP_INDEX else None


def _failed() -> HTMLResponse:
    return page(
        "message.html",
        500,
        title="Lineage could not be shown",
        message="This lineage document could not be shown; the API server's log says why.",
    )


def styled(route: Callable[..., HTMLResponse]) -> Callable[..., HTMLResponse]:
    """The route, with any error but an HTTP one (handled by ``_error_page``) as our 500 page."""

    @functools.wraps(route)
    def answer(*args: Any, **kwargs: Any) -> HTMLResponse:
        try:
            return route(*args, **kwargs)
        except HTTPException:
            raise
        except Exception:
            log.exception("Could not show the llm-lineage page %s", route.__name__)
            return _failed()

    return answer


def _not_found(title: str, message: str) -> HTMLResponse:
    return page("message.html", 404, title=title, message=message)


@styled
def task_response(
    dag_id: str, run_id: str, report: TaskReport, run: Sequence[TaskReport] = ()
) -> HTMLResponse:
    """The Lineage tab of a task instance already read: its view built and rendered. ``run``:
    the run's task instances, whose documents label each dataset as the run view does."""
    documents = [report.document, *(other.document for other in run)]
    kinds = dataset_kinds(document for document in documents if document is not None)
    return page("task.html", view=task_view(dag_id, run_id, report, kinds))


@router.get("/dags/{dag_id}/runs/{run_id}/tasks/{task_id}")
@styled
def task_page(
    dag_id: str, run_id: str, task_id: str, session: SessionDep, map_index: str | None = None
) -> HTMLResponse:
    """The Lineage tab of one task instance."""
    index = map_index_of(map_index)
    report = None if index is None else task_report(session, dag_id, run_id, task_id, index)
    if report is None:
        where = task_id + (f"[{index}]" if index is not None and index >= 0 else "")
        return _not_found(
            "No such task instance", f"No task instance {where} in run {run_id} of DAG {dag_id}."
        )
    return task_response(dag_id, run_id, report, run_reports(session, dag_id, run_id).reports)


@router.get("/dags/{dag_id}/runs/{run_id}")
@styled
def run_page(dag_id: str, run_id: str, session: SessionDep) -> HTMLResponse:
    """The Lineage view of a DAG run: its datasets and the tasks between them."""
    found = run_reports(session, dag_id, run_id)
    if not found.total:
        return _not_found("No such DAG run", f"No task instances in run {run_id} of DAG {dag_id}.")
    return page("run.html", view=run_view(dag_id, run_id, found))


async def _error_page(request: Request, exc: Exception) -> Response:
    """Errors as a page like the others (a tab shows them), with the same status and headers."""
    assert isinstance(exc, HTTPException)
    response = page("message.html", exc.status_code, title="Lineage", message=str(exc.detail))
    response.headers.update(exc.headers or {})
    return response


def create_app() -> FastAPI:
    app = FastAPI(
        title="LLM Lineage",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    app.add_exception_handler(HTTPException, _error_page)
    app.include_router(router)
    return app
