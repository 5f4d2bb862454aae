"""Typed results of document extraction: what each reader found, what the run read and wrote."""

from __future__ import annotations

import builtins
import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.extraction.names import name_bytes, readable


class DocumentError(LlmLineageError):
    """A document that cannot be read; ``reason`` is the sentence that lineage and logs show.

    ``error_type`` names the kind of failure for lineage (``DocumentTimeout``, ``ReaderCrashed``,
    the exception class a reader raised, ...); it survives the trip from a reader process.
    """

    def __init__(self, reason: str, error_type: str = "DocumentError") -> None:
        reason, error_type = readable(reason), readable(error_type)  # may quote a file's name
        super().__init__(reason, error_type)
        self.reason = reason
        self.error_type = error_type

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class ReaderOutput:
    """What a format reader takes from one document's bytes."""

    text: str
    title: str | None = None
    authors: tuple[str, ...] = ()
    created: dt.datetime | None = None
    modified: dt.datetime | None = None
    pages: int | None = None
    encoding: str | None = None
    encoding_fallback: bool = False


@dataclass(frozen=True)
class DocumentRecord:
    """One extracted document: identity, provenance and metadata, without its text."""

    doc_id: str
    source_uri: str
    relative_path: str
    sha256: str
    size_bytes: int
    format: str
    mime_type: str
    title: str | None
    authors: tuple[str, ...]
    created: dt.datetime | None
    created_source: str
    modified: dt.datetime | None
    modified_source: str
    pages: int | None
    characters: int
    encoding: str | None
    encoding_fallback: bool
    extractor: str
    extractor_version: str


@dataclass(frozen=True)
class DocumentFailure:
    """A document the run could not read, with the reason in words."""

    source_uri: str
    relative_path: str
    reason: str
    error_type: str
    format: str | None = None
    size_bytes: int | None = None
    sha256: str | None = None


@dataclass
class CorpusSummary:
    """Aggregates over a corpus that stay small whatever its size (for bounded events)."""

    sample_size: int = 10
    documents: int = 0
    bytes: int = 0
    characters: int = 0
    pages: int = 0
    formats: Counter[str] = field(default_factory=Counter)
    mime_types: dict[str, str] = field(default_factory=dict)
    authors: Counter[str] = field(default_factory=Counter)
    documents_without_author: int = 0
    created_min: dt.datetime | None = None
    created_max: dt.datetime | None = None
    modified_min: dt.datetime | None = None
    modified_max: dt.datetime | None = None
    dates_from_metadata: int = 0
    dates_from_filesystem: int = 0
    encoding_fallbacks: int = 0
    sample: list[DocumentRecord] = field(default_factory=list)
    _collection_hash: Any = field(default_factory=hashlib.sha256, repr=False)

    def fingerprint(self, path: str | builtins.bytes, content_id: str) -> None:
        """Fold a document into the collection's version (path bytes and content hash, in order).

        ``path`` is the relative path, or its exact bytes (``SourceDocument.key``).
        """
        key = name_bytes(path) if isinstance(path, str) else path
        self._collection_hash.update(key + f"\0{content_id}\n".encode())

    @property
    def collection_version(self) -> str:
        """Content hash of the collection as read: same files, same version."""
        return self._collection_hash.hexdigest()

    def add(self, record: DocumentRecord) -> None:
        self.documents += 1
        self.bytes += record.size_bytes
        self.characters += record.characters
        self.pages += record.pages or 0
        self.formats[record.format] += 1
        self.mime_types[record.format] = record.mime_type
        if record.authors:
            self.authors.update(dict.fromkeys(record.authors, 1))
        else:
            self.documents_without_author += 1
        if record.created_source == "metadata":
            self.dates_from_metadata += 1
        else:
            self.dates_from_filesystem += 1
        if record.encoding_fallback:
            self.encoding_fallbacks += 1
        self.created_min, self.created_max = _widen(
            self.created_min, self.created_max, record.created
        )
        self.modified_min, self.modified_max = _widen(
            self.modified_min, self.modified_max, record.modified
        )
        if len(self.sample) < self.sample_size:
            self.sample.append(record)


def _widen(
    low: dt.datetime | None, high: dt.datetime | None, value: dt.datetime | None
) -> tuple[dt.datetime | None, dt.datetime | None]:
    if value is None:
        return low, high
    return (
        value if low is None or value < low else low,
        value if high is None or value > high else high,
    )


@dataclass
class ExtractionResult:
    """Everything one extraction run learned; the lineage layer turns it into facets."""

    source_uri: str
    documents_seen: int = 0
    documents_total: int = 0
    bytes_read: int = 0
    summary: CorpusSummary = field(default_factory=CorpusSummary)
    failures: list[DocumentFailure] = field(default_factory=list)
    failure_count: int = 0
    text_output: WrittenFile | None = None
    manifest_output: WrittenFile | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    #: Highest peak resident memory of any reader process (the task's own when ``workers=0``).
    peak_worker_memory_bytes: int | None = None
    #: Reader processes replaced after a document killed one or ran out of time.
    readers_replaced: int = 0
    max_failures_kept: int = 1000

    def record_failure(self, failure: DocumentFailure) -> None:
        """Count every failure; keep the first ``max_failures_kept`` in memory."""
        self.failure_count += 1
        if len(self.failures) < self.max_failures_kept:
            self.failures.append(failure)

    @property
    def documents_per_second(self) -> float:
        return self.documents_seen / self.wall_seconds if self.wall_seconds > 0 else 0.0


class ExtractionFailed(LlmLineageError):
    """The run stopped; ``result`` still holds what it learned so that lineage can report it."""

    def __init__(self, message: str, result: ExtractionResult) -> None:
        super().__init__(message)
        self.result = result
