"""A document as the engine hands it to a parser, and parsing in the task's own process.

``ParseJob`` carries a document's bytes (or the error that kept them from being read) to
whichever parser runs: ``InProcessParser`` here, in order and without per-document limits, or
``pool.ReaderPool``'s reader processes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from llm_lineage.common.resources import peak_memory_bytes
from llm_lineage.extraction.encode import DocumentInfo, Failed, Outcome, parse_document
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import DocumentError


@dataclass
class ParseJob:
    """One document for a reader: its bytes and what the listing tells of it, or the error
    that kept it from one (``digest``: of the bytes read, when they were).

    ``ref`` is the caller's own object for this document, handed back with the outcome.
    """

    ref: Any
    info: DocumentInfo | None = None
    data: bytes | None = None
    error: DocumentError | None = None
    digest: str | None = None


def parse_in_process(job: ParseJob, limits: ReadLimits) -> Outcome:
    """Parse one document here; every exception becomes the document's error."""
    if job.error is not None:
        return Failed(job.error, job.digest)
    if job.info is None or job.data is None:
        return Failed(DocumentError("unsupported format: no reader for this file extension"))
    return parse_document(job.info, job.data, limits)


class InProcessParser:
    """Parse in the task's process, in order, without time or memory limits."""

    replaced = 0

    def __init__(self, limits: ReadLimits) -> None:
        self.limits = limits

    @property
    def peak_worker_memory_bytes(self) -> int:
        return peak_memory_bytes()

    def load(self, formats: Iterable[str]) -> None:
        """Nothing to start: each reader is imported on its first document."""

    def parse(self, jobs: Iterable[ParseJob]) -> Iterator[tuple[ParseJob, Outcome]]:
        for job in jobs:
            yield job, parse_in_process(job, self.limits)

    def close(self) -> None:
        pass
