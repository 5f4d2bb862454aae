"""The DataHub transport's configuration: read and checked where the transport is created.

Keys are read the way OpenLineage's own transports read theirs (``Config.from_dict``), so the
same dictionary works in ``[openlineage] transport``, inside the spool transport and inside a
composite. Everything that can be wrong with it (an unknown sink, a missing ``server`` or
``filename``, a key nobody reads) fails here, naming the key, rather than at the first event.
This module never imports acryl-datahub: a configuration can be checked without the extra.
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.transport.transport import Config

from llm_lineage.transports.config_values import flag

SINKS = ("server", "filename")

#: Keys every OpenLineage transport configuration may carry (the composite adds ``name``).
_COMMON = frozenset({"type", "name", "priority"})
_KNOWN = frozenset(
    {
        "sink",
        "server",
        "token",
        "filename",
        "env",
        "cluster",
        "platform_instance",
        "timeout_sec",
        "retry_max_times",
        "emit_jobs",
    }
)


def _text(params: dict[str, Any], key: str, default: str | None = None) -> str | None:
    value = params.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"DataHubTransport: '{key}' must be a non-empty string, got {value!r}")
    return value.strip()


def _number(params: dict[str, Any], key: str, default: float, kind: type) -> Any:
    value = params.get(key, default)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or number < 0:
        raise ValueError(f"DataHubTransport: '{key}' must be a non-negative number, got {value!r}")
    return number


def _sink(params: dict[str, Any]) -> str:
    """The sink: ``sink`` when given, else whichever of ``server`` and ``filename`` is set."""
    sink = params.get("sink")
    if sink is None:
        given = [key for key in SINKS if params.get(key)]
        if len(given) != 1:
            raise ValueError(
                "DataHubTransport: set 'sink' to 'server' (with 'server', the GMS URL, and "
                "optionally 'token') or to 'filename' (with 'filename', the metadata file)"
            )
        return given[0]
    if sink not in SINKS:
        raise ValueError(f"DataHubTransport: unknown 'sink' {sink!r}; known: {list(SINKS)}")
    if not params.get(sink):
        raise ValueError(
            f"DataHubTransport: sink {sink!r} needs '{sink}'"
            + (" (the GMS URL, e.g. http://datahub-gms:8080)" if sink == "server" else "")
            + (" (the metadata file to write)" if sink == "filename" else "")
        )
    return str(sink)


@attr.define
class DataHubConfig(Config):
    """``sink`` is ``server`` (REST to GMS) or ``filename`` (DataHub's metadata file format).

    ``env`` is the DataHub environment of datasets and models (``PROD``), ``cluster`` the one
    in Airflow flow URNs (``prod``, as DataHub's Airflow plugin), ``platform_instance`` the
    plugin's ``platform_instance`` (flow ids become ``<instance>.<dag_id>``). ``emit_jobs``
    false leaves the DAG, task and run entities' own aspects to DataHub's Airflow plugin.
    """

    sink: str
    server: str | None = None
    token: str | None = attr.field(default=None, repr=False)
    filename: str | None = None
    env: str = "PROD"
    cluster: str = "prod"
    platform_instance: str | None = None
    timeout_sec: float = 10.0
    retry_max_times: int = 1
    emit_jobs: bool = True

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> DataHubConfig:
        unknown = sorted(set(params) - _KNOWN - _COMMON)
        if unknown:
            raise ValueError(f"DataHubTransport: unknown key(s) {unknown}; known: {sorted(_KNOWN)}")
        sink = _sink(params)
        return cls(
            sink=sink,
            server=_text(params, "server") if sink == "server" else None,
            token=_text(params, "token") if sink == "server" else None,
            filename=_text(params, "filename") if sink == "filename" else None,
            env=(_text(params, "env", "PROD") or "PROD").upper(),
            cluster=_text(params, "cluster", "prod") or "prod",
            platform_instance=_text(params, "platform_instance"),
            timeout_sec=_number(params, "timeout_sec", 10.0, float),
            retry_max_times=_number(params, "retry_max_times", 1, int),
            emit_jobs=flag(params.get("emit_jobs", True), "DataHubTransport: 'emit_jobs'"),
        )
