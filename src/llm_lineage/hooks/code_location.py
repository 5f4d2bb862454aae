"""The code location of the task running now: its DAG bundle's version, else its git checkout.

Airflow 3 runs a task from a DAG bundle; a versioned bundle (``GitDagBundle``) records the
commit as the run's bundle version, and that is the code the task ran, whatever the worker's
disk holds. Otherwise the DAG file's own git checkout says (``lineage/code_location.py``, read
without running anything). Outside git, or when neither can be read, there is none.
"""

from __future__ import annotations

import logging
from typing import Any

from llm_lineage.lineage.code_location import (
    CodeLocation,
    cached_checkout_location,
    public_repo_url,
)

log = logging.getLogger(__name__)


def current_code_location(task: Any = None) -> CodeLocation | None:
    """The code location of ``task`` (default: the task of the current Airflow context)."""
    try:
        context = _context()
        ti = context.get("ti") if context else None
        task = task if task is not None else getattr(ti, "task", None)
        dag = _dag(task)
        if dag is None:
            return None
        bundled = bundle_location(
            getattr(ti, "bundle_instance", None),
            _bundle_version(context, ti),
            getattr(dag, "relative_fileloc", None),
        )
        if bundled is not None:
            return bundled
        fileloc = getattr(dag, "fileloc", None)
        return cached_checkout_location(str(fileloc)) if fileloc else None
    except Exception:  # lineage must never fail the work it describes
        log.warning("Could not find the code location of this task", exc_info=True)
        return None


def bundle_location(bundle: Any, version: str | None, relative_path: Any) -> CodeLocation | None:
    """A versioned bundle's repository at ``version``; None for a bundle without a repository."""
    repo_url = getattr(bundle, "repo_url", None)
    if not version or not isinstance(repo_url, str):
        return None
    public = public_repo_url(repo_url)
    if public is None:
        return None
    subdir = str(getattr(bundle, "subdir", None) or "").strip("/")
    path = str(relative_path or "")
    tracking = getattr(bundle, "tracking_ref", None)
    return CodeLocation(
        repo_url=public,
        path=f"{subdir}/{path}" if subdir and path else (path or subdir),
        version=version,
        branch=tracking if isinstance(tracking, str) and tracking != version else None,
        origin="dagBundle",
    )


def _dag(task: Any) -> Any:
    try:
        return getattr(task, "dag", None)
    except RuntimeError:  # an operator not in a DAG
        return None


def _context() -> Any:
    from airflow.sdk import get_current_context

    try:
        return get_current_context()
    except Exception:  # outside a task (parsing, a unit test)
        return None


def _bundle_version(context: Any, ti: Any) -> str | None:
    dag_run = context.get("dag_run") if context else None
    version = getattr(dag_run, "bundle_version", None) or getattr(
        getattr(ti, "bundle_instance", None), "version", None
    )
    return version if isinstance(version, str) else None
