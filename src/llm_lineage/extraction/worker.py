"""A reader process: ``python -m llm_lineage.extraction.worker IN_FD OUT_FD MEMORY_BYTES``.

Started by ``pool.ReaderPool``, never by users. It imports the readers, warms PDFium up, limits
its own address space to what it uses at rest plus MEMORY_BYTES, says it is ready, then parses
one document per request until its input closes. A plain ``python -m`` process (not
``multiprocessing``) so that nothing of the task's process (Airflow, its threads, its
``__main__``) is imported or inherited.
"""

from __future__ import annotations

import ctypes
import io
import os
import pickle
import resource
import signal
import sys
from multiprocessing.connection import Connection
from typing import Any

from llm_lineage.common.resources import peak_memory_bytes
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import DocumentError
from llm_lineage.extraction.pool import ParseJob, parse_in_process

_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Linux: be killed when the task's process dies, so no reader outlives its task."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _warm_up() -> None:
    """Parse a one-page PDF so PDFium's first-use allocations happen before the limit."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    document.new_page(100, 100)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    parse_in_process(ParseJob(None, "pdf", buffer.getvalue()), ReadLimits())


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


def _answer(inbox: Connection) -> tuple[str, Any]:
    """Read one request and parse it: ("ok", ReaderOutput), ("error", DocumentError), ("memory", None)."""
    file_format, limits = pickle.loads(inbox.recv_bytes())
    data = inbox.recv_bytes()
    try:
        outcome = parse_in_process(ParseJob(None, file_format, data), limits)
    except MemoryError:
        return "memory", None
    finally:
        del data
    if isinstance(outcome, DocumentError):
        if outcome.error_type == "MemoryError":
            return "memory", None
        return "error", outcome
    return "ok", outcome


def main(argv: list[str]) -> int:
    inbox = Connection(int(argv[0]), writable=False)
    outbox = Connection(int(argv[1]), readable=False)
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C goes to the task; it stops us
    _warm_up()
    _limit_memory(int(argv[2]))
    outbox.send(("ready", None, peak_memory_bytes()))
    while True:
        try:
            kind, value = _answer(inbox)
        except (EOFError, OSError):
            return 0
        outbox.send((kind, value, peak_memory_bytes()))
        if kind == "memory":
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
