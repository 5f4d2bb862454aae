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

from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Transport

from llm_lineage.transports.forwarder import CONFIG_ENVIRONMENT, LOCK_ENVIRONMENT
from llm_lineage.transports.redaction import error_text, known_secrets
from llm_lineage.transports.spool_config import SpoolConfig, inner_transport
from llm_lineage.transports.spool_store import Spool, SpoolFull, event_summary

log = logging.getLogger(__name__)

#: Share of ``max_bytes`` past which every emit warns that the spool is filling up.
WARN_RATIO = 0.8


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
