"""A reader process: ``python -m llm_lineage.extraction.worker IN_FD OUT_FD MEMORY_BYTES``.

Started by ``pool.ReaderPool``, never by users, before the source is listed. Its first message
names the corpus's formats and the read limits: it imports those readers only (and warms PDFium
up when there are PDFs), limits its own address space to what it uses at rest plus
MEMORY_BYTES, says it is ready, then takes batches of documents and answers each document
(``encode.parse_document``: hash, parse, record, rows) until its input closes. A thread takes
the batches off the pipe as they come, so the task's process never waits on a busy reader. A
plain ``python -m`` process (not ``multiprocessing``) so that nothing of the task's process
(Airflow, its threads, its ``__main__``) is imported or inherited.
"""

from __future__ import annotations

import ctypes
import io
import os
import pickle
import queue
import resource
import signal
import sys
import threading
from multiprocessing.connection import Connection
from typing import Any

from llm_lineage.common.resources import PeakMemory, peak_memory_bytes
from llm_lineage.extraction.encode import DocumentInfo, Failed, parse_document
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.readers import load_readers

_PR_SET_PDEATHSIG = 1
#: Stack of the thread that reads the pipe (it only receives and unpickles).
_RECEIVER_STACK = 256 * 1024


def _die_with_parent() -> None:
    """Linux: be killed when the task's process dies, so no reader outlives its task."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _warm_up(formats: tuple[str, ...]) -> None:
    """Import the readers; parse a one-page PDF so PDFium's first-use allocations happen
    before the limit."""
    load_readers(formats)
    if "pdf" not in formats:
        return
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(100, 100)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    info = DocumentInfo("warm-up", "warm-up", "warm-up", None, "pdf", "application/pdf")
    parse_document(info, buffer.getvalue(), ReadLimits())


def _address_space() -> int | None:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        return None


def _limit_memory(extra_bytes: int) -> None:
    """Cap the address space at its size now plus ``extra_bytes`` (Linux; elsewhere no cap)."""
    current = _address_space()
    if current is None or not hasattr(resource, "RLIMIT_AS"):
        return
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = current + extra_bytes
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _receive(inbox: Connection, documents: queue.SimpleQueue[Any]) -> None:
    """Put every document of every batch on ``documents``; None when the input closes."""
    try:
        while True:
            for document in pickle.loads(inbox.recv_bytes()):
                documents.put(document)
    except (EOFError, OSError, MemoryError):
        documents.put(None)


def _answer(info: DocumentInfo, data: bytes, limits: ReadLimits) -> tuple[str, Any]:
    """("ok", Encoded), ("error", Failed) or ("memory", None)."""
    try:
        outcome = parse_document(info, data, limits)
    except MemoryError:
        return "memory", None
    if isinstance(outcome, Failed):
        if outcome.error.error_type == "MemoryError":
            return "memory", None
        return "error", outcome
    return "ok", outcome


def main(argv: list[str]) -> int:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the task; it stops us
    try:
        _, formats, limits = pickle.loads(inbox.recv_bytes())
    except (EOFError, OSError):
        return 0  # closed before the source was listed (nothing to read, or a small corpus)
    _warm_up(formats)
    documents: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.stack_size(_RECEIVER_STACK)
    threading.Thread(target=_receive, args=(inbox, documents), daemon=True).start()
    _limit_memory(int(argv[2]))
    outbox.send(("ready", None, peak_memory_bytes()))
    peak = PeakMemory()
    while (document := documents.get()) is not None:
        info, data = document
        kind, value = _answer(info, data, limits)
        del document, data
        outbox.send((kind, value, peak_memory_bytes() if kind == "memory" else peak()))
        if kind == "memory":
            return 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
