"""Forward spooled events to the real backend: oldest first, stop at the first it cannot take.

One pass reads each waiting event, sends it, and settles it: delivered events are removed at
once, events the backend refuses as invalid (400, 413, 422) go to ``dead-letter/``, and anything
else (no connection, a timeout, 5xx, 429, an error of another transport) ends the pass with the
event still first in line. Stopping there, rather than skipping ahead, is what keeps a run's
START ahead of its COMPLETE at the backend.

A request that timed out may still have arrived, so the event is sent again on the next try;
each retry of the same event doubles the transport's timeout (up to ``MAX_TIMEOUT_SECONDS``),
which bounds the duplicates a slow backend receives to a few, never one per attempt.

Run in the background by the spool transport (``python -m llm_lineage.transports.forwarder``
with the configuration in the environment) and by ``llm-lineage replay``.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.spool_store import Spool, event_summary, read_event

log = logging.getLogger(__name__)

#: Environment variable through which the spool transport hands its configuration to the
#: background forwarder (never written to disk: it may hold the backend's credentials).
CONFIG_ENVIRONMENT = "LLM_LINEAGE_SPOOL_FORWARDER_CONFIG"

#: HTTP statuses that mean "this event will never be accepted": resending cannot help.
REFUSED = frozenset({400, 413, 422})

MAX_TIMEOUT_SECONDS = 120.0

#: How long a background forwarder waits for more events before it exits.
LINGER_SECONDS = 2.0

#: Pauses between passes while the backend keeps failing (the last one repeats).
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


@dataclass
class ForwardResult:
    """Counts of one forwarder run; ``pending`` is what still waits when it ended."""

    delivered: int = 0
    dead_letter: int = 0
    pending: int = 0
    last_error: str | None = None
    attempts: dict[str, int] = field(default_factory=dict)


def refused_status(error: BaseException) -> tuple[int | None, str]:
    """The HTTP status and body behind ``error`` (also through a composite's wrapping)."""
    seen: BaseException | None = error
    while seen is not None:
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status, str(getattr(response, "text", "") or "")
        seen = seen.__cause__ or seen.__context__
    return None, ""


class Forwarder:
    """Delivers one spool's events through ``transport`` (any OpenLineage transport)."""

    def __init__(self, spool: Spool, transport: Any) -> None:
        self.spool = spool
        self.transport = transport
        base = getattr(transport, "timeout", None)
        self.base_timeout = float(base) if isinstance(base, (int, float)) else None
        self.result = ForwardResult()

    def run(self, window_seconds: float) -> ForwardResult:
        """Passes until nothing waits, or the backend has failed for ``window_seconds``."""
        self.spool.sweep_temporary()
        deadline = time.monotonic() + window_seconds
        pauses = iter(BACKOFF_SECONDS)
        while True:
            if self.forward_pass():
                if not self.spool.waiting():
                    break
                continue  # events spooled during the pass
            pause = next(pauses, BACKOFF_SECONDS[-1])
            if time.monotonic() + pause > deadline:
                break
            time.sleep(pause)
        self.result.pending = len(self.spool.waiting())
        return self.result

    def forward_pass(self) -> bool:
        """Send what waits, oldest first; False when the backend failed and the pass stopped."""
        for path in self.spool.waiting():
            try:
                event = read_event(path)
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as error:
                self._bury(path, None, f"unreadable spool file: {error}", path.name)
                continue
            if not self._send(path, event):
                return False
        return True

    def _send(self, path: Path, event: dict[str, Any]) -> bool:
        attempt = self.result.attempts.get(path.name, 0)
        self.result.attempts[path.name] = attempt + 1
        self._scale_timeout(attempt)
        try:
            self.transport.emit(rehydrate(event))
        except Exception as error:
            status, body = refused_status(error)
            if status in REFUSED:
                self._bury(path, status, body, event_summary(event))
                return True
            self.result.last_error = f"{type(error).__name__}: {error}"[:500]
            log.warning(
                "Lineage backend did not take %s: %s", event_summary(event), self.result.last_error
            )
            return False
        self.spool.delivered(path)
        self.result.delivered += 1
        return True

    def _bury(self, path: Path, status: int | None, body: str, summary: str) -> None:
        target = self.spool.bury(path, status, body)
        self.result.dead_letter += 1
        log.error(
            "Lineage backend refused %s (HTTP %s); moved to %s and not retried",
            summary,
            status,
            target,
        )

    def _scale_timeout(self, attempt: int) -> None:
        if self.base_timeout is not None:
            self.transport.timeout = min(
                self.base_timeout * 2 ** min(attempt, 8), MAX_TIMEOUT_SECONDS
            )


def forward(
    spool: Spool,
    transport: Any,
    window_seconds: float,
    lock_wait: float,
    linger_seconds: float = 0.0,
) -> ForwardResult | None:
    """One forwarder at a time per spool; None when another process holds it past ``lock_wait``.

    ``linger_seconds``: after draining, keep the lock and watch for new events this long, so a
    burst of emits is carried by one background process instead of one process per event.
    After the lock is released the spool is looked at again: an event written while this
    forwarder was finishing (whose writer saw the lock held and started nobody) is not left
    behind.
    """
    total: ForwardResult | None = None
    while True:
        with spool.forwarding(lock_wait) as held:
            if not held:
                return total
            total = total or ForwardResult()
            while True:
                result = Forwarder(spool, transport).run(window_seconds)
                total.delivered += result.delivered
                total.dead_letter += result.dead_letter
                total.pending = result.pending
                total.last_error = result.last_error or total.last_error
                if result.pending or not _new_events(spool, linger_seconds):
                    break
        if total.pending == 0 and spool.waiting():
            lock_wait = 0.0
            continue
        return total


def _new_events(spool: Spool, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if spool.waiting():
            return True
        time.sleep(0.1)
    return False


def _main() -> int:
    """Background forwarder: configuration from the environment, quiet unless something fails."""
    from llm_lineage.transports.spool import SpoolConfig, inner_transport

    config = SpoolConfig.from_dict(json.loads(os.environ.pop(CONFIG_ENVIRONMENT)))
    spool = Spool(config.directory, config.max_bytes)
    handler = logging.handlers.RotatingFileHandler(
        Path(config.directory) / "forwarder.log", maxBytes=1 << 20, backupCount=1
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler])
    forward(
        spool,
        inner_transport(config),
        config.retry_window_seconds,
        lock_wait=0.0,
        linger_seconds=LINGER_SECONDS,
    )
    return 0


if __name__ == "__main__":
    sys.exit(_main())
