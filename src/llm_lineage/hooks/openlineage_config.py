"""Say loudly, in the task's log, when the OpenLineage settings cannot send anything.

With ``[openlineage] transport`` not valid JSON, Airflow's OpenLineage plugin fails to import:
the listener is never registered, the task succeeds, and no event is sent. With a transport
type that does not exist, every emit fails with a warning. Either way the pipeline runs without
lineage. Each step hook checks the settings once per process, as the provider reads them, and
logs one ERROR naming the setting and what is wrong with it.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any

import yaml

from llm_lineage.lineage.transport_types import transport_type_problem

log = logging.getLogger(__name__)

TRANSPORT_SETTING = "[openlineage] transport (AIRFLOW__OPENLINEAGE__TRANSPORT)"
CONFIG_PATH_SETTING = "[openlineage] config_path (AIRFLOW__OPENLINEAGE__CONFIG_PATH)"


def _config_file_transport(path: str) -> tuple[Any, str | None]:
    """The ``transport`` of an OpenLineage YAML file, or why it cannot be read."""
    try:
        content = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as error:
        return None, f"{CONFIG_PATH_SETTING} {path}: {type(error).__name__}: {error}"
    if not isinstance(content, dict) or "transport" not in content:
        return None, None
    return content["transport"], None


def openlineage_settings_problem() -> str | None:
    """What stops the OpenLineage provider from sending events, in one line, or None.

    Lineage turned off (``[openlineage] disabled``, or nothing configured) is not a problem.
    """
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return None
    try:
        disabled = conf.is_disabled()
        transport = conf.transport()
    except Exception as error:  # AirflowConfigException (not JSON) or ValueError (not a dict)
        return f"{TRANSPORT_SETTING} is not a valid transport configuration: {error}"
    if disabled:
        return None
    if transport:
        problem = transport_type_problem(transport)
        return f"{TRANSPORT_SETTING}: {problem}" if problem else None
    path = conf.config_path(check_legacy_env_var=False)
    if not path:
        return None
    configured, unreadable = _config_file_transport(path)
    if unreadable:
        return unreadable
    problem = transport_type_problem(configured) if configured is not None else None
    return f"{CONFIG_PATH_SETTING} {path}: {problem}" if problem else None


@functools.cache
def check_openlineage_settings() -> str | None:
    """Log the problem once per process, as an ERROR (no lineage will be sent); return it."""
    problem = openlineage_settings_problem()
    if problem:
        log.error("OpenLineage cannot send this task's lineage: %s", problem)
    return problem
