"""Extraction engine: read a corpus one document at a time, write text and manifest Parquet.

Memory does not grow with the corpus: one document's bytes are held at a time, rows go to
Parquet in row groups, and the corpus summary keeps counts, not records.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from llm_lineage.extraction.dates import from_timestamp
from llm_lineage.extraction.formats import format_for
from llm_lineage.extraction.model import (
    DocumentError,
    DocumentFailure,
    DocumentRecord,
    ExtractionFailed,
    ExtractionResult,
    ReaderOutput,
)
from llm_lineage.extraction.readers import reader_for
from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.extraction.source import SourceDocument
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA
from llm_lineage.extraction.writer import ParquetRowWriter
from llm_lineage.progress import LogLike, ProgressReporter
from llm_lineage.resources import peak_memory_bytes

log = logging.getLogger(__name__)

#: Renders Parquet footer metadata from a finished result (see extract_corpus).
Footer = Callable[[ExtractionResult], dict[str, str]]

TEXT_FILE = "text.parquet"
MANIFEST_FILE = "manifest.parquet"


def _doc_id(relative_path: str) -> str:
    return hashlib.sha256(relative_path.encode("utf-8")).hexdigest()[:16]


class _Run:
    """State of one run: the writers, the result, and the per-document loop."""

    def __init__(
        self,
        source_uri: str,
        output_dir: Path,
        settings: ExtractionSettings,
        logger: LogLike,
    ) -> None:
        self.settings = settings
        self.log = logger
        self.result = ExtractionResult(source_uri=source_uri)
        self._digest: str | None = None
        self.text = ParquetRowWriter(
            output_dir / TEXT_FILE, TEXT_SCHEMA, group_rows=settings.row_group_rows
        )
        self.manifest = ParquetRowWriter(
            output_dir / MANIFEST_FILE, MANIFEST_SCHEMA, group_rows=settings.row_group_rows
        )

    def read(self, document: SourceDocument) -> tuple[DocumentRecord, str]:
        self._digest = None
        if document.size == 0:
            raise DocumentError("empty file (0 bytes)")
        if document.size > self.settings.max_document_bytes:
            raise DocumentError(
                f"file too large: {document.size} bytes, over max_document_bytes="
                f"{self.settings.max_document_bytes}"
            )
        fmt = format_for(document.name)
        reader = reader_for(fmt.name) if fmt else None
        if fmt is None or reader is None:
            raise DocumentError("unsupported format: no reader for this file extension")
        data = document.read()
        self.result.bytes_read += len(data)
        digest = hashlib.sha256(data).hexdigest()
        self.result.summary.fingerprint(document.relative_path, digest)
        self._digest = digest
        if not data:
            raise DocumentError("empty file (0 bytes)")
        output: ReaderOutput = reader.read(data)
        if not output.text.strip():
            hint = " (scanned pages without a text layer?)" if fmt.name == "pdf" else ""
            raise DocumentError(f"no extractable text{hint}")
        file_time = from_timestamp(document.mtime)
        record = DocumentRecord(
            doc_id=_doc_id(document.relative_path),
            source_uri=document.uri,
            relative_path=document.relative_path,
            sha256=digest,
            size_bytes=len(data),
            format=fmt.name,
            mime_type=fmt.mime_type,
            title=output.title,
            authors=output.authors,
            created=output.created or file_time,
            created_source="metadata" if output.created else "filesystem",
            modified=output.modified or file_time,
            modified_source="metadata" if output.modified else "filesystem",
            pages=output.pages,
            characters=len(output.text),
            encoding=output.encoding,
            encoding_fallback=output.encoding_fallback,
            extractor=reader.library,
            extractor_version=reader.version,
        )
        return record, output.text

    def accept(self, record: DocumentRecord, text: str) -> None:
        row: dict[str, Any] = asdict(record)
        row["authors"] = list(record.authors)
        self.text.add({**row, "text": text})
        self.manifest.add({**row, "status": "extracted", "error": None})
        self.result.summary.add(record)

    def reject(self, document: SourceDocument, error: Exception) -> DocumentFailure:
        if self._digest is None:  # unread files still belong to the collection's version
            self.result.summary.fingerprint(document.relative_path, f"unread:{document.size}")
        reason = (
            error.reason if isinstance(error, DocumentError) else f"{type(error).__name__}: {error}"
        )
        fmt = format_for(document.name)
        failure = DocumentFailure(
            source_uri=document.uri,
            relative_path=document.relative_path,
            reason=reason,
            error_type=type(error).__name__,
            format=fmt.name if fmt else None,
            size_bytes=document.size,
            sha256=self._digest,
        )
        self.result.record_failure(failure)
        self.manifest.add(
            {
                "doc_id": _doc_id(document.relative_path),
                "source_uri": document.uri,
                "relative_path": document.relative_path,
                "size_bytes": document.size,
                "sha256": failure.sha256,
                "format": failure.format,
                "mime_type": fmt.mime_type if fmt else None,
                "authors": [],
                "characters": 0,
                "status": "failed",
                "error": reason,
            }
        )
        self.log.warning("Skipping %s: %s", document.uri, reason)
        return failure

    def close(self, footer: Footer | None) -> None:
        metadata = footer(self.result) if footer else None
        self.result.text_output = self.text.close(metadata)
        self.result.manifest_output = self.manifest.close(metadata)

    def abort(self) -> None:
        self.text.abort()
        self.manifest.abort()


def extract_corpus(
    documents: Sequence[SourceDocument],
    source_uri: str,
    output_dir: Path,
    settings: ExtractionSettings | None = None,
    logger: LogLike | None = None,
    footer: Footer | None = None,
) -> ExtractionResult:
    """Extract ``documents`` into ``output_dir``/text.parquet and manifest.parquet.

    ``footer`` renders key-value metadata for both files' Parquet footers from the finished
    result, so the data carries how it was made to the steps that read it.

    Raises ExtractionFailed (carrying the partial result) when ``on_error="fail"`` meets a bad
    document, when nothing matched, or when every document failed. The caller stages
    ``output_dir`` and publishes it only on success.
    """
    settings = settings or ExtractionSettings()
    logger = logger or log
    started, cpu_started = time.perf_counter(), time.process_time()
    run = _Run(source_uri, output_dir, settings, logger)
    result = run.result
    result.documents_total = len(documents)
    progress = ProgressReporter(
        "Extracted", len(documents), "documents", logger, interval=settings.progress_interval
    )
    try:
        if not documents:
            raise ExtractionFailed(
                f"no documents in {source_uri} match include={list(settings.include)} "
                f"exclude={list(settings.exclude)}",
                result,
            )
        for document in documents:
            result.documents_seen += 1
            try:
                record, text = run.read(document)
            except Exception as error:  # one bad document must not lose the others
                failure = run.reject(document, error)
                if settings.on_error == "fail":
                    raise ExtractionFailed(
                        f"{failure.source_uri}: {failure.reason} (on_error='fail')", result
                    ) from error
            else:
                run.accept(record, text)
            progress.advance()
        if result.summary.documents == 0:
            first = result.failures[0]
            raise ExtractionFailed(
                f"all {result.failure_count} documents in {source_uri} failed; first: "
                f"{first.source_uri}: {first.reason}",
                result,
            )
        run.close(footer)
    except BaseException:
        run.abort()
        raise
    finally:
        result.wall_seconds = time.perf_counter() - started
        result.cpu_seconds = time.process_time() - cpu_started
        result.peak_memory_bytes = peak_memory_bytes()
    progress.finish()
    return result
