"""One call run by a thread of its own, joined later; its exception is raised where it is joined."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class BackgroundCall:
    """``function(*arguments)`` started now in a thread; ``wait`` joins it and raises what it
    raised (once). A plain thread per call, not a pool: nothing is left running between calls,
    so a process forked later (the OpenLineage provider forks the task's process) inherits no
    worker thread."""

    def __init__(self, function: Callable[..., Any], *arguments: Any) -> None:
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, args=(function, arguments), name="llm-lineage-writer", daemon=True
        )
        self._thread.start()

    @classmethod
    def done(cls) -> BackgroundCall:
        """A call that has already finished (nothing to wait for)."""
        call = cls.__new__(cls)
        call._error, call._thread = None, None
        return call

    def _run(self, function: Callable[..., Any], arguments: tuple[Any, ...]) -> None:
        try:
            function(*arguments)
        except BaseException as error:  # raised again by wait(), in the caller's thread
            self._error = error

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        error, self._error = self._error, None
        if error is not None:
            raise error
