"""The DataHub transport's configuration: read and checked where the transport is created.

Keys are read the way OpenLineage's own transports read theirs (``Config.from_dict``), so the
same dictionary works in ``[openlineage] transport``, inside the spool transport and inside a
composite. Everything that can be wrong with it (an unknown sink, a missing ``server`` or
``filename``, a key nobody reads) fails here with a ``ConfigError`` naming the key, rather than
at the first event. A pydantic model (``transports/config_model.py``). This module never
imports acryl-datahub: a configuration can be checked without the extra.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, model_validator

from llm_lineage.common.errors import ConfigError
from llm_lineage.transports.config_model import (
    Count,
    Flag,
    Seconds,
    Text,
    TransportConfig,
    closest,
)

SINKS = ("server", "filename")


def _hint(sink: str) -> str:
    if sink == "server":
        return " (the GMS URL, e.g. http://datahub-gms:8080)"
    return " (the metadata file to write)"


class DataHubConfig(TransportConfig):
    """``sink`` is ``server`` (REST to GMS) or ``filename`` (DataHub's metadata file format).

    ``env`` is the DataHub environment of datasets and models (``PROD``), ``cluster`` the one
    in Airflow flow URNs (``prod``, as DataHub's Airflow plugin), ``platform_instance`` the
    plugin's ``platform_instance`` (flow ids become ``<instance>.<dag_id>``). ``emit_jobs``
    false leaves the DAG, task and run entities' own aspects to DataHub's Airflow plugin.
    """

    TRANSPORT = "DataHubTransport"

    sink: Literal["server", "filename"]
    server: Text | None = None
    token: Text | None = Field(default=None, repr=False)
    filename: Text | None = None
    env: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, to_upper=True)] = (
        "PROD"
    )
    cluster: Text = "prod"
    platform_instance: Text | None = None
    timeout_sec: Seconds = 10.0
    retry_max_times: Count = 1
    emit_jobs: Flag = True

    @model_validator(mode="before")
    @classmethod
    def _choose_sink(cls, data: Any) -> Any:
        """The sink: ``sink`` when given, else whichever of ``server`` and ``filename`` is set;
        the other sink's keys are not read."""
        if not isinstance(data, dict):
            return data
        sink = data.get("sink")
        if sink is None:
            given = [key for key in SINKS if data.get(key)]
            if len(given) != 1:
                raise ConfigError(
                    "set 'sink' to 'server' (with 'server', the GMS URL, and optionally "
                    "'token') or to 'filename' (with 'filename', the metadata file)"
                )
            sink = given[0]
        if sink not in SINKS:
            raise ConfigError(
                f"unknown 'sink' {sink!r}{closest(str(sink), SINKS)}; known: {list(SINKS)}"
            )
        if not data.get(sink):
            raise ConfigError(f"sink {sink!r} needs '{sink}'{_hint(sink)}")
        unread = ("server", "token") if sink == "filename" else ("filename",)
        return {key: value for key, value in data.items() if key not in unread} | {"sink": sink}
