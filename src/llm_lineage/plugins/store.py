"""Where the pages' data comes from: task instances and their lineage XCom, in the metadata DB.

The API server reads the ``llm_lineage`` XCom that each operator pushed (``lineage/document.py``)
straight from Airflow's own tables, as Airflow's XCom API does: no task log, file system or
transport is involved, so the pages work on any executor.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, cast

from airflow.models.taskinstance import TaskInstance
from airflow.models.xcom import XComModel
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from llm_lineage.lineage.document import DOCUMENT_VERSION, XCOM_KEY

#: Task instances whose documents the DAG-run page reads: a mapped task may have thousands, and
#: each document may take up to the event budget (192 KiB).
MAX_RUN_TASKS = 200


@dataclass(frozen=True)
class TaskReport:
    """One task instance, and the lineage document it stored (None when it stored none)."""

    task_id: str
    map_index: int
    state: str | None
    operator: str | None
    start_date: dt.datetime | None
    rendered_map_index: str | None
    stored: Any
    """The XCom value as stored, None when the task pushed none."""

    @property
    def document(self) -> dict[str, Any] | None:
        """The lineage document, when the stored value is one this version can read."""
        value = self.stored
        if isinstance(value, dict) and value.get("documentVersion") == DOCUMENT_VERSION:
            return value
        return None

    @property
    def label(self) -> str:
        if self.map_index < 0:
            return self.task_id
        return f"{self.task_id}[{self.rendered_map_index or self.map_index}]"


@dataclass(frozen=True)
class RunReports:
    reports: list[TaskReport]
    total: int
    """Task instances in the run; more than ``len(reports)`` when MAX_RUN_TASKS cut the list."""


def _reports(session: Session, *conditions: Any, limit: int | None = None) -> list[TaskReport]:
    ti, xcom = TaskInstance, XComModel
    # A hybrid property: its SQL expression falls back to the map index itself.
    rendered_map_index = cast("Any", ti.rendered_map_index).label("rendered_map_index")
    query = (
        select(
            ti.task_id,
            ti.map_index,
            ti.state,
            ti.custom_operator_name,
            ti.operator,
            ti.start_date,
            rendered_map_index,
            xcom.value,
        )
        .outerjoin(
            xcom,
            and_(
                xcom.dag_id == ti.dag_id,
                xcom.run_id == ti.run_id,
                xcom.task_id == ti.task_id,
                xcom.map_index == ti.map_index,
                xcom.key == XCOM_KEY,
            ),
        )
        .where(*conditions)
        .order_by(ti.start_date, ti.task_id, ti.map_index)
        .limit(limit)
    )
    return [
        TaskReport(
            task_id=row.task_id,
            map_index=row.map_index,
            state=str(row.state) if row.state is not None else None,
            operator=row.custom_operator_name or row.operator,
            start_date=row.start_date,
            rendered_map_index=row.rendered_map_index,
            stored=_stored(row.value),
        )
        for row in session.execute(query)
    ]


def _stored(value: Any) -> Any:
    """The value as its JSON column gives it: the SDK may store JSON text or a JSON value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def task_report(
    session: Session, dag_id: str, run_id: str, task_id: str, map_index: int
) -> TaskReport | None:
    ti = TaskInstance
    found = _reports(
        session,
        ti.dag_id == dag_id,
        ti.run_id == run_id,
        ti.task_id == task_id,
        ti.map_index == map_index,
    )
    return found[0] if found else None


def run_reports(session: Session, dag_id: str, run_id: str) -> RunReports:
    ti = TaskInstance
    conditions = (ti.dag_id == dag_id, ti.run_id == run_id)
    total = session.scalar(select(func.count()).select_from(ti).where(*conditions)) or 0
    return RunReports(_reports(session, *conditions, limit=MAX_RUN_TASKS), total)
