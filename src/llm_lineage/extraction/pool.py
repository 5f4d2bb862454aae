"""Parse documents in reader processes, each document under a wall-time and a memory limit.

A hostile document can make a parser loop for minutes, allocate gigabytes or crash in C code.
Run in the task's own process, any of these takes the whole task (and with it every other
document) down. Here each document is parsed in a separate process: past its time the process
is killed, past its memory the allocation fails inside the process (an address-space limit),
a crash ends only that process. The document is recorded as failed with the reason, a fresh
process takes the documents queued behind it, and the run goes on.

The task's process reads the bytes (any storage, its credentials) and writes Parquet; the
readers do the rest of each document's work (``encode.py``: hash, parse, record, rows), so the
task's process stays off the critical path as cores are added. Documents go to a reader in
batches (one message for several documents), a reader holds up to ``DEPTH`` of them (a thread
of its own takes them off the pipe, so sending never waits for a parse), and a slow document
holds up only its own reader: the others keep taking documents within the window. Results come
back in document order, so the outputs (and their versions) do not depend on which process was
faster. Processes start before the source is listed (``start``) and import only the readers of
the formats the corpus holds (``load``).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
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

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.extraction.encode import Encoded, Failed, Outcome
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import DocumentError
from llm_lineage.extraction.parsing import ParseJob, parse_in_process

#: Seconds a reader process may take to import its libraries and say it is ready.
STARTUP_SECONDS = 120.0
#: Seconds a reader process gets to exit by itself at the end before it is killed.
SHUTDOWN_SECONDS = 5.0
#: Most documents, and bytes, in one message to a reader (a larger document goes alone).
BATCH_DOCUMENTS = 4
BATCH_BYTES = 4 * 2**20
#: Most documents a reader holds at once (parsing one, the rest queued in it).
DEPTH = 2 * BATCH_DOCUMENTS
#: Most bytes read ahead and not yet given to a reader (at least one document is).
PENDING_BYTES = 64 * 2**20
#: The pipes' buffer to and from each reader (Linux's default maximum for a user; 64 KiB
#: where it cannot be set).
PIPE_BYTES = 2**20
_F_SETPIPE_SZ = getattr(fcntl, "F_SETPIPE_SZ", 1031)
#: Most documents taken and not yet handed back in order, and most bytes of text parsed and
#: waiting behind an earlier document: while one reader spends seconds on a long document, the
#: others go on with the thousands behind it (a window of a few dozen stalled them all, and
#: real corpora scaled 1.0x from one reader to two), and the task's memory stays bounded.
WINDOW_DOCUMENTS = 4096
WAITING_BYTES = 128 * 2**20


def _text_bytes(outcome: Outcome | None) -> int:
    """What a settled document holds in the task's memory until it is handed back."""
    return len(outcome.text) if isinstance(outcome, Encoded) else 0


class ReaderPoolError(LlmLineageError, RuntimeError):
    """The reader processes cannot run at all (not one document's fault): the run stops."""


@dataclass
class _Slot:
    """A job in document order and, once known, its outcome."""

    job: ParseJob
    outcome: Outcome | None = None

    @property
    def size(self) -> int:
        return len(self.job.data or b"")

    def settle(self, outcome: Outcome) -> None:
        self.outcome = outcome
        self.job.data = None  # done with the bytes: do not hold them

    def fail(self, error: DocumentError) -> None:
        """The reader died on it: the digest of its bytes from the copy kept here."""
        data = self.job.data or b""
        self.settle(Failed(error, hashlib.sha256(data).hexdigest()))


def _pipe() -> tuple[int, int]:
    """A pipe with a buffer of ``PIPE_BYTES`` where the system allows (Linux), so that a large
    document or text crosses in a few writes, not one per 64 KiB."""
    read, write = os.pipe()
    with contextlib.suppress(OSError):  # over pipe-max-size for an unprivileged user: 64 KiB
        fcntl.fcntl(write, _F_SETPIPE_SZ, PIPE_BYTES)
    return read, write


@dataclass
class _Worker:
    """One reader process, the pipes to it, and the documents it holds, in order."""

    process: subprocess.Popen[bytes]
    inbox: Connection
    outbox: Connection
    ready: bool = False
    held: deque[_Slot] = field(default_factory=deque)
    held_bytes: int = 0
    deadline: float = field(default_factory=lambda: time.monotonic() + STARTUP_SECONDS)

    @classmethod
    def start(cls, memory_bytes: int) -> _Worker:
        child_in, parent_out = _pipe()
        parent_in, child_out = _pipe()
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

    def load(self, formats: tuple[str, ...], limits: ReadLimits) -> None:
        self.outbox.send_bytes(pickle.dumps(("load", formats, limits)))

    def has_room(self) -> bool:
        return self.ready and len(self.held) < DEPTH and self.held_bytes < 2 * BATCH_BYTES

    def send(self, batch: list[_Slot], seconds: float) -> None:
        if not self.held:  # the first document starts now; later ones when one is answered
            self.deadline = time.monotonic() + seconds
        self.held.extend(batch)
        self.held_bytes += sum(slot.size for slot in batch)
        self.outbox.send_bytes(
            pickle.dumps([(slot.job.info, slot.job.data) for slot in batch], protocol=5)
        )

    def answered(self, seconds: float) -> _Slot:
        """The document it answered (the first it holds); the next one's time starts."""
        slot = self.held.popleft()
        self.held_bytes -= slot.size
        self.deadline = time.monotonic() + seconds if self.held else float("inf")
        return slot

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


@dataclass
class _Feed:
    """The caller's jobs, taken one at a time; ``more`` is False once they are all taken."""

    jobs: Iterator[ParseJob]
    more: bool = True

    def take(self) -> ParseJob | None:
        job = next(self.jobs, None) if self.more else None
        self.more = job is not None
        return job


class ReaderPool:
    """Up to ``size`` reader processes; ``parse`` yields outcomes in the order of the jobs."""

    def __init__(self, size: int, limits: ReadLimits, seconds: float, memory_bytes: int) -> None:
        self.size = max(1, size)
        self.limits = limits
        self.seconds = seconds
        self.memory_bytes = memory_bytes
        self.read_ahead = 2 * self.size * DEPTH + 2
        self.window = max(WINDOW_DOCUMENTS, self.read_ahead)
        self.workers: list[_Worker] = []
        self.formats: tuple[str, ...] | None = None
        self.pending: deque[_Slot] = deque()
        self.pending_bytes = 0
        self.waiting_bytes = 0
        self.peak_worker_memory_bytes = 0
        self.replaced = 0

    def start(self) -> None:
        """Start every missing process (they start Python while the caller lists the source)."""
        while len(self.workers) < self.size:
            worker = _Worker.start(self.memory_bytes)
            if self.formats is not None:
                worker.load(self.formats, self.limits)
            self.workers.append(worker)

    def load(self, formats: Iterable[str]) -> None:
        """The formats the corpus holds: each process imports their readers, then is ready."""
        self.formats = tuple(sorted(set(formats)))
        for worker in self.workers:
            worker.load(self.formats, self.limits)
        self.start()  # a process started from here on is told the formats as it starts

    def parse(self, jobs: Iterable[ParseJob]) -> Iterator[tuple[ParseJob, Outcome]]:
        if self.formats is None:
            raise ReaderPoolError("ReaderPool.parse before load(formats)")
        order: deque[_Slot] = deque()
        feed = _Feed(iter(jobs))
        while True:
            self._fill(order, feed)
            self._assign()
            if order and order[0].outcome is not None:
                while order and order[0].outcome is not None:
                    slot = order.popleft()
                    self.waiting_bytes -= _text_bytes(slot.outcome)
                    yield slot.job, slot.outcome  # type: ignore[misc]
                continue  # room in the window again: take more before waiting
            if not order and not feed.more:
                return
            self._wait()

    def _fill(self, order: deque[_Slot], feed: _Feed) -> None:
        """Take jobs into the window while documents may be read ahead (as many as the
        readers take in a round, within ``PENDING_BYTES``) and parsed text may wait; a job that
        needs no reader (its error known already) is settled at once."""
        while (
            len(order) < self.window
            and self.waiting_bytes < WAITING_BYTES
            and (
                not self.pending
                or (self.pending_bytes < PENDING_BYTES and len(self.pending) < self.read_ahead)
            )
        ):
            job = feed.take()
            if job is None:
                return
            slot = _Slot(job)
            order.append(slot)
            if job.error is not None or job.data is None or job.info is None:
                slot.settle(parse_in_process(job, self.limits))
            else:
                self.pending.append(slot)
                self.pending_bytes += slot.size

    def _assign(self) -> None:
        """Give pending documents, in order and in batches, to processes with room."""
        if self.pending:
            self.start()  # a process replaced after a document killed it
        for worker in self.workers:
            while self.pending and worker.has_room():
                batch = [self.pending.popleft()]
                size = batch[0].size
                while (
                    self.pending
                    and len(batch) < BATCH_DOCUMENTS
                    and size + self.pending[0].size <= BATCH_BYTES
                ):
                    batch.append(self.pending.popleft())
                    size += batch[-1].size
                self.pending_bytes -= size
                worker.send(batch, self.seconds)

    def _requeue(self, worker: _Worker) -> None:
        """The documents a retired process held go first to the next process with room."""
        for slot in reversed(worker.held):
            self.pending.appendleft(slot)
            self.pending_bytes += slot.size
        worker.held.clear()

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
        slot = worker.answered(self.seconds)
        if kind == "memory":
            slot.fail(
                DocumentError(
                    f"over max_document_memory_bytes={self.memory_bytes:,}: the reader ran out "
                    "of memory parsing this document; its process was replaced",
                    "DocumentMemoryLimit",
                )
            )
            self._retire(worker, kill=False)  # its heap may be damaged: it exits by itself
            return
        slot.settle(value)
        self.waiting_bytes += _text_bytes(value)

    def _expire(self, worker: _Worker) -> None:
        if not worker.ready:
            self._retire(worker, kill=True)
            raise ReaderPoolError(
                f"a reader process did not start within {STARTUP_SECONDS:g} s "
                f"({sys.executable} -m llm_lineage.extraction.worker)"
            )
        if worker.held:
            worker.held.popleft().fail(
                DocumentError(
                    f"took longer than max_document_seconds={self.seconds:g}: its reader "
                    "process was stopped and replaced",
                    "DocumentTimeout",
                )
            )
        self._retire(worker, kill=True)

    def _died(self, worker: _Worker) -> None:
        how = worker.death()
        ready = worker.ready
        if ready and worker.held:
            worker.held.popleft().fail(
                DocumentError(
                    f"the reader process {how} while parsing this document (over "
                    f"max_document_memory_bytes={self.memory_bytes:,}, or a crash in the "
                    "reader library); it was replaced",
                    "ReaderCrashed",
                )
            )
        self._retire(worker, kill=True)
        if not ready:
            raise ReaderPoolError(f"a reader process {how} before it was ready")

    def _retire(self, worker: _Worker, kill: bool) -> None:
        self._requeue(worker)
        worker.stop(kill)
        self.workers.remove(worker)
        self.replaced += 1

    def close(self) -> None:
        """Stop every process: idle ones exit when their input closes, busy ones are killed."""
        for worker in list(self.workers):
            worker.stop(kill=bool(worker.held) or not worker.ready)
        self.workers.clear()
