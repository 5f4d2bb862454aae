"""Parse documents in reader processes, each document under a wall-time and a memory limit.

A hostile document can make a parser loop for minutes, allocate gigabytes or crash in C code.
Run in the task's own process, any of these takes the whole task (and with it every other
document) down. Here each document is parsed in a separate process: past its time the process
is killed, past its memory the allocation fails inside the process (an address-space limit),
a crash ends only that process. The document is recorded as failed with the reason, a fresh
process takes the next document, and the run goes on.

The task's process keeps reading the bytes (any storage, its credentials), hashing them and
writing Parquet; reader processes get bytes and return a ``ReaderOutput``. Results come back in
document order, so the outputs (and their versions) do not depend on which process was faster.
"""

from __future__ import annotations

import os
import pickle
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.resources import peak_memory_bytes
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers import reader_for

#: Seconds a reader process may take to import its libraries and say it is ready.
STARTUP_SECONDS = 120.0
#: Seconds a reader process gets to exit by itself at the end before it is killed.
SHUTDOWN_SECONDS = 5.0

Outcome = ReaderOutput | DocumentError


@dataclass
class ParseJob:
    """One document for a reader: its format and bytes, or the error that kept it from one.

    ``ref`` is the caller's own object for this document, handed back with the outcome.
    """

    ref: Any
    format: str | None = None
    data: bytes | None = None
    error: DocumentError | None = None


class ReaderPoolError(LlmLineageError, RuntimeError):
    """The reader processes cannot run at all (not one document's fault): the run stops."""


def parse_in_process(job: ParseJob, limits: ReadLimits) -> Outcome:
    """Parse one document here; every exception becomes the document's error."""
    if job.error is not None:
        return job.error
    reader = reader_for(job.format or "")
    if reader is None or job.data is None:
        return DocumentError("unsupported format: no reader for this file extension")
    try:
        return reader.read(job.data, limits)
    except DocumentError as error:
        return error
    except MemoryError:
        return DocumentError("out of memory while parsing", "MemoryError")
    except Exception as error:  # one bad document must not lose the others
        return DocumentError(f"{type(error).__name__}: {error}", type(error).__name__)


class InProcessParser:
    """``workers=0``: parse in the task's process, in order, without time or memory limits."""

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits

    @property
    def peak_worker_memory_bytes(self) -> int:
        return peak_memory_bytes()

    def parse(self, jobs: Iterable[ParseJob]) -> Iterator[tuple[ParseJob, Outcome]]:
        for job in jobs:
            yield job, parse_in_process(job, self.limits)

    def close(self) -> None:
        pass


@dataclass
class _Slot:
    """A job in document order and, once known, its outcome."""

    job: ParseJob
    outcome: Outcome | None = None


@dataclass
class _Worker:
    """One reader process, the pipes to it, and the job it is parsing."""

    process: subprocess.Popen[bytes]
    inbox: Connection
    outbox: Connection
    ready: bool = False
    slot: _Slot | None = None
    deadline: float = field(default_factory=lambda: time.monotonic() + STARTUP_SECONDS)

    @classmethod
    def start(cls, memory_bytes: int) -> _Worker:
        child_in, parent_out = os.pipe()
        parent_in, child_out = os.pipe()
        command = [sys.executable, "-m", "llm_lineage.extraction.worker"]
        process = subprocess.Popen(
            [*command, str(child_in), str(child_out), str(memory_bytes)],
            pass_fds=(child_in, child_out),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        os.close(child_in)
        os.close(child_out)
        return cls(
            process, Connection(parent_in, writable=False), Connection(parent_out, readable=False)
        )

    def send(self, slot: _Slot, limits: ReadLimits, seconds: float) -> None:
        job = slot.job
        self.slot = slot
        self.outbox.send_bytes(pickle.dumps((job.format, limits)))
        self.outbox.send_bytes(job.data or b"")
        job.data = None  # the process has the bytes now; do not hold them twice
        self.deadline = time.monotonic() + seconds

    def stop(self, kill: bool) -> None:
        """End the process: at once (``kill``) or by closing its input and waiting a little."""
        self.outbox.close()
        if not kill:
            try:
                self.process.wait(SHUTDOWN_SECONDS)
            except subprocess.TimeoutExpired:
                kill = True
        if kill:
            self.process.kill()
            self.process.wait()
        self.inbox.close()

    def death(self) -> str:
        """How the process ended, in words, once it has."""
        try:
            code = self.process.wait(SHUTDOWN_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        if code < 0:
            try:
                return f"killed by {signal.Signals(-code).name}"
            except ValueError:
                return f"killed by signal {-code}"
        return f"exited with code {code}"


class ReaderPool:
    """Up to ``size`` reader processes; ``parse`` yields outcomes in the order of the jobs."""

    def __init__(self, size: int, limits: ReadLimits, seconds: float, memory_bytes: int) -> None:
        self.size = max(1, size)
        self.limits = limits
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self.window = 2 * self.size + 2
        self.workers: list[_Worker] = []
        self.peak_worker_memory_bytes = 0
        self.replaced = 0

    def parse(self, jobs: Iterable[ParseJob]) -> Iterator[tuple[ParseJob, Outcome]]:
        order: deque[_Slot] = deque()
        queue = iter(jobs)
        held: ParseJob | None = None
        more = True
        while True:
            while more and len(order) < self.window:
                held = held or next(queue, None)
                if held is None:
                    more = False
                elif held.error is not None or held.data is None:
                    order.append(_Slot(held, parse_in_process(held, self.limits)))
                    held = None
                elif (worker := self._idle()) is not None:
                    slot = _Slot(held)
                    worker.send(slot, self.limits, self.seconds)
                    order.append(slot)
                    held = None
                else:
                    break
            if order and order[0].outcome is not None:
                while order and order[0].outcome is not None:
                    slot = order.popleft()
                    yield slot.job, slot.outcome  # type: ignore[misc]
                continue  # room in the window again: dispatch before waiting
            if not order and not more:
                return
            self._wait()

    def _idle(self) -> _Worker | None:
        """A ready process with no job; every missing process is started (they import at once)."""
        for worker in self.workers:
            if worker.ready and worker.slot is None:
                return worker
        while len(self.workers) < self.size:
            self.workers.append(_Worker.start(self.memory_bytes))
        return None

    def _wait(self) -> None:
        """Block until a process answers or the earliest deadline passes; settle each."""
        deadline = min((w.deadline for w in self.workers), default=float("inf"))
        if deadline == float("inf"):  # nobody busy or starting: nothing to wait for
            return
        timeout = max(0.0, deadline - time.monotonic())
        answered = wait([w.inbox for w in self.workers], timeout)
        now = time.monotonic()
        for worker in list(self.workers):
            if worker.inbox in answered:
                self._receive(worker)
            elif now >= worker.deadline:
                self._expire(worker)

    def _receive(self, worker: _Worker) -> None:
        try:
            kind, value, peak = worker.inbox.recv()
        except (EOFError, OSError):
            self._died(worker)
            return
        self.peak_worker_memory_bytes = max(self.peak_worker_memory_bytes, peak)
        if kind == "ready":
            worker.ready, worker.deadline = True, float("inf")
            return
        slot, worker.slot, worker.deadline = worker.slot, None, float("inf")
        if kind == "memory":
            value = DocumentError(
                f"over max_document_memory_bytes={self.memory_bytes:,}: the reader ran out of "
                "memory parsing this document; its process was replaced",
                "DocumentMemoryLimit",
            )
            self._retire(worker, kill=False)  # its heap may be damaged: it exits by itself
        if slot is not None:
            slot.outcome = value

    def _expire(self, worker: _Worker) -> None:
        if not worker.ready:
            self._retire(worker, kill=True)
            raise ReaderPoolError(
                f"a reader process did not start within {STARTUP_SECONDS:g} s "
                f"({sys.executable} -m llm_lineage.extraction.worker)"
            )
        if worker.slot is not None:
            worker.slot.outcome = DocumentError(
                f"took longer than max_document_seconds={self.seconds:g}: its reader process "
                "was stopped and replaced",
                "DocumentTimeout",
            )
        self._retire(worker, kill=True)

    def _died(self, worker: _Worker) -> None:
        how = worker.death()
        self._retire(worker, kill=True)
        if not worker.ready:
            raise ReaderPoolError(f"a reader process {how} before it was ready")
        if worker.slot is not None:
            worker.slot.outcome = DocumentError(
                f"the reader process {how} while parsing this document (over "
                f"max_document_memory_bytes={self.memory_bytes:,}, or a crash in the reader "
                "library); it was replaced",
                "ReaderCrashed",
            )

    def _retire(self, worker: _Worker, kill: bool) -> None:
        worker.stop(kill)
        self.workers.remove(worker)
        self.replaced += 1

    def close(self) -> None:
        """Stop every process: idle ones exit when their input closes, busy ones are killed."""
        for worker in list(self.workers):
            worker.stop(kill=worker.slot is not None or not worker.ready)
        self.workers.clear()
