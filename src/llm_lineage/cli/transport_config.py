"""Find the spool configuration the same way the emitting side does.

Order: Airflow's ``[openlineage] transport`` and ``config_path`` (when Airflow is installed, as
on a scheduler or worker), then the OpenLineage client's own sources (``OPENLINEAGE__*``
variables, ``OPENLINEAGE_CONFIG``, ``openlineage.yml``). A spool inside a composite transport is
found too. The command therefore forwards through exactly the backend the tasks were given.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from llm_lineage.cli.main import CommandError
from llm_lineage.lineage.transport_types import check_transport_types, transport_type_problem
from llm_lineage.transports.spool import SpoolConfig, SpoolTransport

SPOOL_TYPE = f"{SpoolTransport.__module__}.{SpoolTransport.__name__}"


def _airflow_transport() -> dict[str, Any] | None:
    try:
        from airflow.providers.openlineage import conf
    except ImportError:
        return None
    if conf.transport():
        return conf.transport()
    path = conf.config_path()
    if path and Path(path).is_file():
        content = yaml.safe_load(Path(path).read_text()) or {}
        transport = content.get("transport")
        return transport if isinstance(transport, dict) else None
    return None


def _client_transport() -> dict[str, Any] | None:
    from openlineage.client import OpenLineageClient

    logging.getLogger("openlineage.client").setLevel(logging.ERROR)
    transport = OpenLineageClient().config.transport
    return dict(transport) if transport else None


def _spools(transport: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if transport.get("type") == SPOOL_TYPE:
        yield transport
    children = transport.get("transports") if transport.get("type") == "composite" else None
    if isinstance(children, dict):
        children = list(children.values())
    for child in children or []:
        if isinstance(child, dict):
            yield from _spools(child)


def configured_spools() -> list[SpoolConfig]:
    """Every spool in the configuration this machine's tasks use."""
    for source in (_airflow_transport, _client_transport):
        transport = source()
        if transport:
            check_transport_types(transport)
            return [SpoolConfig.from_dict(dict(found)) for found in _spools(transport)]
    return []


def spool_config(
    directory: str | None, transport_json: str | None, need_transport: bool = True
) -> SpoolConfig:
    """The spool to work on: ``--spool``/``--transport`` when given, else the configured one.

    ``need_transport=False`` (status): a spool directory alone is enough.
    """
    if transport_json:
        try:
            inner = json.loads(transport_json)
        except ValueError as error:
            raise CommandError(f"--transport is not JSON: {error}") from None
        if not directory:
            raise CommandError("--transport needs --spool DIR as well")
        problem = transport_type_problem(inner)
        if problem:
            raise CommandError(f"--transport: {problem}")
        try:
            return SpoolConfig.from_dict({"directory": directory, "transport": inner})
        except ValueError as error:
            raise CommandError(f"--transport: {error}") from None
    try:
        configured = configured_spools()
    except Exception as error:  # a wrong configuration is one line, never a traceback
        raise CommandError(f"the OpenLineage transport configuration: {error}") from None
    if directory:
        same = [c for c in configured if Path(c.directory).resolve() == Path(directory).resolve()]
        chosen = next(iter(same or configured), None)
        if chosen is None and not need_transport:
            return SpoolConfig.from_dict({"directory": directory, "transport": {"type": "console"}})
        if chosen is None:
            raise CommandError(
                f"no transport to forward {directory} to: configure a SpoolTransport "
                "(AIRFLOW__OPENLINEAGE__TRANSPORT or OPENLINEAGE__TRANSPORT__*) or pass "
                '--transport \'{"type": "http", "url": ...}\''
            )
        return SpoolConfig.from_dict({**chosen.as_dict(), "directory": directory})
    if not configured:
        raise CommandError(
            f"no spool configured: set a transport of type {SPOOL_TYPE} "
            "(AIRFLOW__OPENLINEAGE__TRANSPORT or OPENLINEAGE__TRANSPORT__*), or pass --spool DIR"
        )
    return configured[0]
