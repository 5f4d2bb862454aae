"""Helpers shared by the reader tests: read as the engine does, catch a refusal, measure a cost.

Memory is measured with tracemalloc (Python allocations: the bytes a ZIP part inflates to, the
strings a YAML alias expands to), which is deterministic; CPU-time bounds are generous (the
unguarded readers took minutes) so that a loaded machine does not fail them.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import tracemalloc
import zipfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from llm_lineage.extraction.formats import format_for
from llm_lineage.extraction.limits import DEFAULT_LIMITS
from llm_lineage.extraction.model import DocumentError, ReaderOutput
from llm_lineage.extraction.readers import READERS

UTC = dt.timezone.utc
MiB = 1024 * 1024

#: The title and author a hostile PDF or DOCX carries: NUL, C0 and C1 controls, CRLF, a
#: right-to-left override that disguises "exe.TXT" as "TXT.exe", and markup that is only data.
HOSTILE_TITLE = "Evil\x00Title\x01\r\nline2\u202eTXT.exe <script>alert(1)</script>\x85 end"
CLEAN_TITLE = "Evil Title line2TXT.exe <script>alert(1)</script> end"
HOSTILE_AUTHOR = "Alice\r\nMallory; Bob\u202e\x00"


def read(path: Path) -> ReaderOutput:
    """Read a file with the reader its extension selects, as the engine does."""
    fmt = format_for(path.name)
    assert fmt is not None, path
    return READERS[fmt.name].read(path.read_bytes(), DEFAULT_LIMITS)


def refusal(read: Callable[[], object]) -> str:
    with pytest.raises(DocumentError) as caught:
        read()
    return caught.value.reason


@dataclass
class Cost:
    peak_bytes: int = 0
    cpu_seconds: float = 0.0


@contextmanager
def measured() -> Iterator[Cost]:
    """Peak Python memory (tracemalloc) and CPU time of the block."""
    cost = Cost()
    tracemalloc.start()
    started = time.process_time()
    try:
        yield cost
    finally:
        cost.cpu_seconds = time.process_time() - started
        cost.peak_bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def rezipped(data: bytes, parts: dict[str, bytes | None]) -> bytes:
    """The ZIP package ``data`` with ``parts`` replaced or added (None: removed)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        contents = {info.filename: source.read(info) for info in source.infolist()} | parts
        for name, content in contents.items():
            if content is not None:
                target.writestr(name, content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def small_docx() -> bytes:
    document = docx.Document()
    document.add_paragraph("First paragraph.")
    document.core_properties.title = "Small"
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def part_of(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.read(name)


def read_docx_bytes(data: bytes) -> ReaderOutput:
    return READERS["docx"].read(data, DEFAULT_LIMITS)
