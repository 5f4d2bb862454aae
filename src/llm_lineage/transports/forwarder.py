"""Forward spooled events to the real backend, oldest first, at the rate the backend takes them.

One pass reads each waiting event, sends it, and settles it: delivered events are removed at
once; events the backend refuses as invalid (400, 413, 422) and poison files (``pending/``
entries that are not events the spool wrote) go to ``dead-letter/`` with the reason. A transient
failure (no connection, a timeout, 5xx, 429) keeps the event, and the pass goes on with the
*other runs'* events: every later event of the same run is skipped until the next pass, which
keeps each run's START ahead of its COMPLETE at the backend. A pass stops early after
``STOP_AFTER_FAILURES`` failures in a row (a backend that is down is not asked once per run),
or at the first failure when the previous pass delivered nothing.

Between passes: none while passes make progress; otherwise pauses of ``BACKOFF_SECONDS``, back
to the first after any success. The retry window counts from the last success, so a flaky
backend is drained at its success rate and only a backend that takes nothing for the whole
window ends the run.

An error that is neither an HTTP status nor a connection problem (``failures.judge``: a
transport that cannot convert the event) is tried once more at once; refused twice the same
way, by a transport that took other events in the same run, the event is buried as poison
(a transport that takes nothing, such as a composite whose members are all down, buries
nothing).

A request that timed out may still have arrived, so the event is sent again on the next try;
each retry of the same event doubles the transport's timeout (up to ``MAX_TIMEOUT_SECONDS``),
which bounds the duplicates a slow backend receives to a few, never one per attempt.

Run in the background by the spool transport (``python -m llm_lineage.transports.forwarder``
with the configuration in the environment) and by ``llm-lineage replay``.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from llm_lineage.transports.events import rehydrate
from llm_lineage.transports.failures import REFUSED, Verdict, judge, refused_status
from llm_lineage.transports.redaction import error_text, redact
from llm_lineage.transports.spool_events import PoisonFile, event_summary, read_event, run_key
from llm_lineage.transports.spool_store import Spool

__all__ = ["REFUSED", "ForwardResult", "Forwarder", "forward", "refused_status"]

log = logging.getLogger(__name__)

#: Environment variable through which the spool transport hands its configuration to the
#: background forwarder (never written to disk: it may hold the backend's credentials).
CONFIG_ENVIRONMENT = "LLM_LINEAGE_SPOOL_FORWARDER_CONFIG"

#: Environment variable naming the inherited descriptor that holds the forward lock.
LOCK_ENVIRONMENT = "LLM_LINEAGE_SPOOL_FORWARDER_LOCK_FD"

MAX_TIMEOUT_SECONDS = 120.0

#: How long a background forwarder waits for more events before it exits.
LINGER_SECONDS = 2.0

#: Pauses between passes that delivered nothing (the last one repeats); back to the first
#: after any success.
BACKOFF_SECONDS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0)

#: A pass that meets this many failures in a row stops (the backend looks down).
STOP_AFTER_FAILURES = 4


class Outcome(Enum):
    DELIVERED = "delivered"
    BURIED = "buried"
    FAILED = "failed"


@dataclass
class ForwardResult:
    """Counts of one forwarder run; ``pending`` is what still waits when it ended."""

    delivered: int = 0
    dead_letter: int = 0
    pending: int = 0
    last_error: str | None = None
    attempts: dict[str, int] = field(default_factory=dict)
    passes: int = 0


@dataclass
class _Pass:
    delivered: int = 0
    buried: int = 0
    failed: int = 0
    in_a_row: int = 0
    blocked: set[str] = field(default_factory=set)
    poison: dict[Path, tuple[str, str]] = field(default_factory=dict)

    @property
    def progress(self) -> bool:
        return bool(self.delivered or self.buried)


class Forwarder:
    """Delivers one spool's events through ``transport`` (any OpenLineage transport)."""

    def __init__(self, spool: Spool, transport: Any, secrets: list[str] | None = None) -> None:
        self.spool = spool
        self.transport = transport
        self.secrets = secrets or []
        base = getattr(transport, "timeout", None)
        self.base_timeout = float(base) if isinstance(base, (int, float)) else None
        self.result = ForwardResult()
        self._suspects: dict[str, str] = {}

    def run(self, window_seconds: float) -> ForwardResult:
        """Passes until nothing waits, or nothing was delivered for ``window_seconds``."""
        with contextlib.suppress(OSError):
            self.spool.sweep_temporary()
            self.spool.usage.recount()
        last_success = time.monotonic()
        pauses = iter(BACKOFF_SECONDS)
        stalled = False
        while True:
            done = self.forward_pass(stop_at_first_failure=stalled)
            if done.progress:
                last_success, pauses = time.monotonic(), iter(BACKOFF_SECONDS)
            if not done.failed:
                if not self.spool.has_waiting():
                    break
                continue  # events spooled during the pass
            stalled = not done.progress
            if done.progress:
                continue
            pause = next(pauses, BACKOFF_SECONDS[-1])
            if time.monotonic() + pause - last_success > window_seconds:
                break
            time.sleep(pause)
        self.result.pending = len(self.spool.waiting()) + len(self.spool.foreign())
        return self.result

    def forward_pass(self, stop_at_first_failure: bool = False) -> _Pass:
        """Send what waits, oldest first, skipping the later events of a run that failed."""
        self.result.passes += 1
        state = _Pass()
        for path in self.spool.foreign():
            name = ascii(path.name)[:200]
            self._bury(path, None, "not an event file written by the spool", name, state)
        for path in self.spool.waiting():
            event = self._load(path, state)
            if event is None or run_key(event) in state.blocked:
                continue
            if self._send(path, event, state) is Outcome.FAILED:
                state.blocked.add(run_key(event))
                if stop_at_first_failure or state.in_a_row >= STOP_AFTER_FAILURES:
                    break
        if self.result.delivered:  # the transport works: the refusals are the events' own
            for path, (reason, summary) in state.poison.items():
                self._bury(path, None, reason, summary, state)
        return state

    def _load(self, path: Path, state: _Pass) -> dict[str, Any] | None:
        try:
            return read_event(path)
        except FileNotFoundError:
            return None
        except (OSError, PoisonFile) as error:
            self._bury(path, None, f"not an event: {error}", path.name, state)
            return None

    def _send(self, path: Path, event: dict[str, Any], state: _Pass) -> Outcome:
        summary = event_summary(event)
        for _ in range(2):
            error = self._attempt(path, event)
            if error is None:
                return self._delivered(path, state)
            verdict = judge(error)
            if verdict is Verdict.REFUSED:
                status, body = refused_status(error)
                return self._bury(path, status, redact(body, self.secrets), summary, state)
            text = error_text(error, self.secrets)
            if verdict is Verdict.TRANSIENT or self._suspects.get(path.name) == text:
                break
            self._suspects[path.name] = text
        if verdict is Verdict.SUSPECT and self._suspects.get(path.name) == text:
            state.poison[path] = (f"refused twice the same way: {text}", summary)
        self.result.last_error = text
        state.failed += 1
        state.in_a_row += 1
        log.warning("Lineage backend did not take %s: %s", summary, text)
        return Outcome.FAILED

    def _attempt(self, path: Path, event: dict[str, Any]) -> BaseException | None:
        attempt = self.result.attempts.get(path.name, 0)
        self.result.attempts[path.name] = attempt + 1
        self._scale_timeout(attempt)
        try:
            self.transport.emit(rehydrate(event))
        except Exception as error:
            return error
        return None

    def _delivered(self, path: Path, state: _Pass) -> Outcome:
        try:
            self.spool.delivered(path)
        except OSError as error:  # it was delivered; a full disk must not stop the forwarder
            log.error("Delivered %s but could not remove it: %s", path.name, error_text(error))
        self.result.delivered += 1
        self._suspects.pop(path.name, None)
        state.delivered += 1
        state.in_a_row = 0
        return Outcome.DELIVERED

    def _bury(
        self, path: Path, status: int | None, reason: str, summary: str, state: _Pass
    ) -> Outcome:
        try:
            target: Path | str = self.spool.bury(path, status, reason)
        except OSError as error:
            log.error("Could not move %s to dead-letter/: %s", path.name, error_text(error))
            state.failed += 1
            return Outcome.FAILED
        self.result.dead_letter += 1
        state.buried += 1
        state.in_a_row = 0
        log.error(
            "Lineage backend refused %s (%s); moved to %s and not retried",
            summary,
            f"HTTP {status}" if status is not None else redact(reason, self.secrets)[:300],
            target,
        )
        return Outcome.BURIED

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
    secrets: list[str] | None = None,
    locked: int | None = None,
) -> ForwardResult | None:
    """One forwarder at a time per spool; None when another process holds it past ``lock_wait``.

    ``linger_seconds``: after draining, keep the lock and watch for new events this long, so a
    burst of emits is carried by one background process instead of one process per event.
    After the lock is released the spool is looked at again: an event written while this
    forwarder was finishing (whose writer saw the lock held and started nobody) is not left
    behind. ``secrets``: literal values to mask in every error text (``known_secrets``).
    ``locked``: a descriptor that already holds the forward lock (see ``Spool.try_lock``).
    """
    total: ForwardResult | None = None
    while True:
        with spool.forwarding(lock_wait, locked) as held:
            locked = None
            if not held:
                return total
            total = total or ForwardResult()
            while True:
                result = Forwarder(spool, transport, secrets).run(window_seconds)
                total.delivered += result.delivered
                total.dead_letter += result.dead_letter
                total.pending = result.pending
                total.passes += result.passes
                total.last_error = result.last_error or total.last_error
                if result.pending or not _new_events(spool, linger_seconds):
                    break
        if total.pending == 0 and spool.has_waiting():
            lock_wait = 0.0
            continue
        return total


def _new_events(spool: Spool, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if spool.has_waiting():
            return True
        time.sleep(0.1)
    return False


def _main() -> int:
    """Background forwarder: configuration from the environment, quiet unless something fails."""
    from llm_lineage.transports.forwarder_log import log_to_spool
    from llm_lineage.transports.redaction import known_secrets
    from llm_lineage.transports.spool_config import SpoolConfig, inner_transport

    config = SpoolConfig.from_dict(json.loads(os.environ.pop(CONFIG_ENVIRONMENT)))
    inherited = os.environ.pop(LOCK_ENVIRONMENT, "")
    locked = int(inherited) if inherited.isdigit() else None
    spool = Spool(config.directory, config.max_bytes)
    secrets = known_secrets(config.transport)
    with contextlib.suppress(OSError):  # a spool it cannot log into is still forwarded
        spool.ensure()
        log_to_spool(Path(config.directory), secrets)
    try:
        forward(
            spool,
            inner_transport(config),
            config.retry_window_seconds,
            lock_wait=0.0,
            linger_seconds=LINGER_SECONDS,
            secrets=secrets,
            locked=locked,
        )
    except Exception as error:  # never a traceback with the backend's answer in it
        log.error("The forwarder stopped: %s", error_text(error, secrets))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_main())
