"""``SpoolConfig``: the spool transport's settings, as OpenLineage builds them from a dict.

Apart from ``spool.py`` so that the background forwarder (``forwarder.py``), the
``llm-lineage`` commands and the transport all read one configuration without importing each
other. A pydantic model (``config_model.py``): every key is checked where the transport is
created, and an error names the key.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from openlineage.client.transport.transport import Transport
from pydantic import BeforeValidator, Field

from llm_lineage.common.errors import ConfigError
from llm_lineage.transports.config_model import (
    Count,
    Flag,
    Seconds,
    Text,
    TransportConfig,
    closest,
)

#: The transport's dotted path, what ``type`` names in an OpenLineage configuration.
SPOOL_TRANSPORT = "llm_lineage.transports.spool.SpoolTransport"

DEFAULT_MAX_BYTES = 1 << 30

#: An HTTP transport inside the spool sends each request once: the urllib3 retries it would
#: otherwise make (5 reads, 5 statuses) are what multiplied events at a slow backend, and the
#: forwarder retries later anyway, with growing timeouts.
SINGLE_ATTEMPT_RETRY = {
    "total": 0,
    "connect": 0,
    "read": 0,
    "status": 0,
    "status_forcelist": [],
    "backoff_factor": 0,
    "allowed_methods": ["HEAD", "POST"],
}


def _known_types() -> list[str]:
    from openlineage.client.transport import get_default_factory

    return sorted(getattr(get_default_factory(), "transports", {}))


def _inner(value: Any) -> dict[str, Any]:
    """The wrapped transport's configuration: a dict, or JSON text (an environment variable)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or not value.get("type"):
        raise ConfigError(
            "must be a transport configuration with a 'type', "
            'e.g. {"type": "http", "url": "http://marquez:5000"}'
        )
    kind = str(value["type"])
    known = _known_types()
    if "." not in kind and known and kind not in known:
        raise ConfigError(
            f"has an unknown type {kind!r}{closest(kind, known)}; known: {known}, "
            "or a transport class's dotted path"
        )
    return dict(value)


class SpoolConfig(TransportConfig):
    """``directory`` and ``transport`` are required; the rest has defaults.

    ``max_bytes``: the spool's cap (pending plus dead letters); past ``WARN_RATIO`` of it every
    emit warns, at it events are refused and counted in ``lost.log``. ``background``: start a
    forwarder after each emit (false: only ``llm-lineage replay`` forwards).
    ``retry_window_seconds``: how long a background forwarder keeps retrying a failing backend.
    """

    TRANSPORT = "SpoolTransport"

    directory: Text = Field(
        description="the folder that keeps events until the backend has them, "
        "e.g. /var/lib/llm-lineage/spool"
    )
    transport: Annotated[dict[str, Any], BeforeValidator(_inner)] = Field(
        description="a transport configuration with a 'type', "
        'e.g. {"type": "http", "url": "http://marquez:5000"}'
    )
    max_bytes: Count = DEFAULT_MAX_BYTES
    background: Flag = True
    retry_window_seconds: Seconds = 120.0

    def as_dict(self) -> dict[str, Any]:
        return {"type": SPOOL_TRANSPORT, **super().as_dict()}


def inner_transport(config: SpoolConfig) -> Transport:
    """The wrapped transport, HTTP ones set to one request per attempt (unless ``retry`` is set)."""
    from openlineage.client.transport import get_default_factory

    settings = dict(config.transport)
    if settings.get("type") == "http" and "retry" not in settings:
        settings["retry"] = dict(SINGLE_ATTEMPT_RETRY)
    return get_default_factory().create(settings)
