"""Refreshing a lock and a staging folder while a run works, so neither looks stale."""

from __future__ import annotations

import threading
from collections.abc import Callable

from llm_lineage.common.progress import LogLike
from llm_lineage.storage.locks import LockLost


class Heartbeat:
    """Call ``beat`` every ``interval`` seconds in a daemon thread while the block runs."""

    def __init__(self, interval: float, beat: Callable[[], None], logger: LogLike) -> None:
        self.interval = interval
        self.beat = beat
        self.log = logger
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="llm-lineage-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.beat()
            except LockLost as lost:  # publish() verifies again and fails the run
                self.log.warning("%s", lost)
                return
            except Exception as error:  # a storage hiccup: the next beat may succeed
                self.log.warning("Lock heartbeat failed: %s", error)
