"""``SpoolTransport``: every event on disk first, delivered to the real backend when it can take it.

Configured like any OpenLineage transport, by dotted path::

    {"type": "llm_lineage.transports.spool.SpoolTransport",
     "directory": "/var/lib/llm-lineage/spool",
     "transport": {"type": "http", "url": "http://marquez:5000", "endpoint": "api/v1/lineage"}}

Why not the wrapped transport alone: the OpenLineage provider emits from a forked process that
is killed after ``[openlineage] execution_timeout``; an HTTP transport facing a dead or slow
backend spends that budget on retries and the event is gone, with only a warning in the log.
Here ``emit`` is one fsynced file write (a few milliseconds); a detached forwarder process, one
per spool at a time, delivers outside the task's time budget, and ``llm-lineage replay``
delivers whatever is still waiting.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from typing import Any

import attr
from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Config, Transport

from llm_lineage.transports.config_values import flag
from llm_lineage.transports.forwarder import CONFIG_ENVIRONMENT, LOCK_ENVIRONMENT
from llm_lineage.transports.redaction import error_text, known_secrets
from llm_lineage.transports.spool_store import Spool, SpoolFull, event_summary

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 1 << 30

#: Share of ``max_bytes`` past which every emit warns that the spool is filling up.
WARN_RATIO = 0.8

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
            "type": f"{SpoolTransport.__module__}.{SpoolTransport.__name__}",
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


class SpoolTransport(Transport):
    kind = "llm_lineage_spool"
    config_class = SpoolConfig

    def __init__(self, config: SpoolConfig) -> None:
        self.config = config
        self.spool = Spool(config.directory, config.max_bytes)
        # Built now so that a wrong inner configuration fails where the transport is created.
        self.inner = inner_transport(config)

    def emit(self, event: Any) -> None:
        payload = Serde.to_json(event).encode("utf-8")
        try:
            path = self.spool.write(payload)
        except SpoolFull:
            self._lost(event, "spool full")
            return
        except OSError as error:
            self._unspoolable(event, error)
            return
        log.debug("Spooled OpenLineage event as %s", path.name)
        self._warn_when_filling()
        if self.config.background:
            self._start_forwarder()

    def close(self, timeout: float = -1) -> bool:
        return bool(self.inner.close(timeout))

    def _lost(self, event: Any, reason: str) -> None:
        summary = event_summary(Serde.to_dict(event))
        log.error(
            "Lineage is being lost: %s (%d bytes cap) at %s; %s was dropped. Run "
            "'llm-lineage replay --spool %s' once the backend is reachable, or raise max_bytes.",
            reason,
            self.config.max_bytes,
            self.config.directory,
            summary,
            self.config.directory,
        )
        self.spool.record_lost(reason, summary)

    def _unspoolable(self, event: Any, error: OSError) -> None:
        """The spool cannot be written: say so loudly, then try the backend directly, once."""
        secrets = known_secrets(self.config.transport)
        log.error(
            "Lineage is being lost: cannot write to the spool %s (%s); sending %s "
            "directly instead, without the spool's guarantees",
            self.config.directory,
            error_text(error, secrets),
            event_summary(Serde.to_dict(event)),
        )
        try:
            self.inner.emit(event)
        except Exception as failure:
            log.error(
                "Lineage is being lost: %s could not be delivered either (%s); it is gone",
                event_summary(Serde.to_dict(event)),
                error_text(failure, secrets),
            )

    def _warn_when_filling(self) -> None:
        used = self.spool.used
        if used >= WARN_RATIO * self.config.max_bytes:
            log.warning(
                "Lineage spool %s is %.0f%% full (%d of %d bytes): the backend is not taking "
                "events; at 100%% new events are dropped",
                self.config.directory,
                100 * used / max(self.config.max_bytes, 1),
                used,
                self.config.max_bytes,
            )

    def _start_forwarder(self) -> None:
        """Start a detached forwarder unless one is running (it looks again before it exits).

        The lock is taken here and its descriptor handed to the child, so that the other
        writers see it held from this moment on, not only once the child has started (a
        second or so in which every emit would otherwise start one more forwarder).
        """
        try:
            descriptor = self.spool.try_lock()
        except OSError:
            return
        if descriptor is None:
            return
        try:
            subprocess.Popen(
                [sys.executable, "-m", "llm_lineage.transports.forwarder"],
                env={
                    **os.environ,
                    CONFIG_ENVIRONMENT: json.dumps(self.config.as_dict()),
                    LOCK_ENVIRONMENT: str(descriptor),
                },
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                pass_fds=(descriptor,),
            )
        except OSError as error:
            log.warning("Could not start the lineage forwarder: %s", error_text(error))
        finally:
            os.close(descriptor)
