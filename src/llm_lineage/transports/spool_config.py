"""``SpoolConfig``: the spool transport's settings, as OpenLineage builds them from a dict.

Apart from ``spool.py`` so that the background forwarder (``forwarder.py``), the
``llm-lineage`` commands and the transport all read one configuration without importing each
other.
"""

from __future__ import annotations

import json
from typing import Any

import attr
from openlineage.client.transport.transport import Config, Transport

from llm_lineage.transports.config_values import flag

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


def _mapping(value: Any, key: str) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            value = None
    if not isinstance(value, dict) or not value.get("type"):
        raise ValueError(
            f"SpoolTransport: '{key}' must be a transport configuration with a 'type', "
            f'e.g. {{"type": "http", "url": "http://marquez:5000"}}'
        )
    return dict(value)


def _positive(value: Any, key: str, kind: type) -> Any:
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if isinstance(value, bool) or number is None or number < 0:
        raise ValueError(f"SpoolTransport: '{key}' must be a non-negative number, got {value!r}")
    return number


@attr.define
class SpoolConfig(Config):
    """``directory`` and ``transport`` are required; the rest has defaults.

    ``max_bytes``: the spool's cap (pending plus dead letters); past ``WARN_RATIO`` of it every
    emit warns, at it events are refused and counted in ``lost.log``. ``background``: start a
    forwarder after each emit (false: only ``llm-lineage replay`` forwards).
    ``retry_window_seconds``: how long a background forwarder keeps retrying a failing backend.
    """

    directory: str
    transport: dict[str, Any]
    max_bytes: int = DEFAULT_MAX_BYTES
    background: bool = True
    retry_window_seconds: float = 120.0

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> SpoolConfig:
        directory = params.get("directory")
        if not isinstance(directory, str) or not directory.strip():
            raise ValueError(
                "SpoolTransport: 'directory' is required: the folder that keeps events until "
                "the backend has them, e.g. /var/lib/llm-lineage/spool"
            )
        known = {
            "type",
            "directory",
            "transport",
            "max_bytes",
            "background",
            "retry_window_seconds",
        }
        unknown = sorted(set(params) - known - {"name", "priority"})
        if unknown:
            raise ValueError(f"SpoolTransport: unknown key(s) {unknown}; known: {sorted(known)}")
        return cls(
            directory=directory,
            transport=_mapping(params.get("transport"), "transport"),
            max_bytes=_positive(params.get("max_bytes", DEFAULT_MAX_BYTES), "max_bytes", int),
            background=flag(params.get("background", True), "SpoolTransport: 'background'"),
            retry_window_seconds=_positive(
                params.get("retry_window_seconds", 120.0), "retry_window_seconds", float
            ),
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "type": SPOOL_TRANSPORT,
            "directory": self.directory,
            "transport": self.transport,
            "max_bytes": self.max_bytes,
            "background": self.background,
            "retry_window_seconds": self.retry_window_seconds,
        }


def inner_transport(config: SpoolConfig) -> Transport:
    """The wrapped transport, HTTP ones set to one request per attempt (unless ``retry`` is set)."""
    from openlineage.client.transport import get_default_factory

    settings = dict(config.transport)
    if settings.get("type") == "http" and "retry" not in settings:
        settings["retry"] = dict(SINGLE_ATTEMPT_RETRY)
    return get_default_factory().create(settings)
