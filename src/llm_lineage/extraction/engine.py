"""Extraction engine: read a corpus one document at a time, write text and manifest Parquet.

Memory does not grow with the corpus: one document's bytes are held at a time, rows go to
Parquet in row groups, and the corpus summary keeps counts, not records.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from llm_lineage.common.measure import Measure
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.progress import LogLike, ProgressReporter
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
from llm_lineage.extraction.pool import InProcessParser, ParseJob, ReaderPool
from llm_lineage.extraction.readers import reader_for
from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.extraction.source import SourceDocument
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA, content_of

log = logging.getLogger(__name__)

#: Renders Parquet footer metadata from a finished result (see extract_corpus).
Footer = Callable[[ExtractionResult], dict[str, str]]

TEXT_FILE = "text.parquet"
MANIFEST_FILE = "manifest.parquet"


def _doc_id(document: SourceDocument) -> str:
    """Made from the relative path's bytes: a name that is not UTF-8 has an id of its own."""
    return hashlib.sha256(document.key).hexdigest()[:16]


@dataclass
class _Fetched:
    """A document's bytes as the task read them (bounded), with their digest."""

    document: SourceDocument
    digest: str | None = None
    size: int = 0


class _Run:
    """State of one run: the writers, the result, and the per-document steps."""

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
        self.text = ParquetRowWriter(
            output_dir / TEXT_FILE,
            TEXT_SCHEMA,
            group_rows=settings.row_group_rows,
            content=content_of,
        )
        self.manifest = ParquetRowWriter(
            output_dir / MANIFEST_FILE,
            MANIFEST_SCHEMA,
            group_rows=settings.row_group_rows,
            content=content_of,
        )

    def fetch(self, document: SourceDocument) -> ParseJob:
        """Read a document's bytes here, where its storage and credentials are; no parsing."""
        fetched = _Fetched(document)
        job = ParseJob(fetched)
        try:
            job.format, job.data = self._read(document, fetched)
        except DocumentError as error:
            job.error = error
        except Exception as error:  # a storage error on one file must not lose the others
            job.error = DocumentError(f"{type(error).__name__}: {error}", type(error).__name__)
        return job

    def _read(self, document: SourceDocument, fetched: _Fetched) -> tuple[str, bytes]:
        limit = self.settings.max_document_bytes
        if document.refused:
            raise DocumentError(document.refused, "DocumentRefused")
        if document.size > limit:
            raise DocumentError(
                f"file too large: {document.size} bytes, over max_document_bytes={limit}"
            )
        fmt = format_for(document.name)
        if fmt is None or reader_for(fmt.name) is None:
            raise DocumentError("unsupported format: no reader for this file extension")
        data = document.read(limit)
        fetched.size = len(data)
        if len(data) > limit:
            raise DocumentError(
                f"file too large: more than max_document_bytes={limit} bytes read (listed at "
                f"{document.size} bytes: it grew after the folder was listed)"
            )
        fetched.digest = hashlib.sha256(data).hexdigest()
        self.result.summary.fingerprint(document.key, fetched.digest)
        if not data:
            raise DocumentError("empty file (0 bytes)")
        return fmt.name, data

    def record(self, fetched: _Fetched, output: ReaderOutput) -> tuple[DocumentRecord, str]:
        """The manifest record of a parsed document; text-less documents are errors."""
        document = fetched.document
        fmt = format_for(document.name)
        reader = reader_for(fmt.name) if fmt else None
        assert fmt is not None and reader is not None and fetched.digest is not None
        if not output.text.strip():
            hint = " (scanned pages without a text layer?)" if fmt.name == "pdf" else ""
            raise DocumentError(f"no extractable text{hint}")
        file_time = from_timestamp(document.mtime)
        record = DocumentRecord(
            doc_id=_doc_id(document),
            source_uri=document.uri,
            relative_path=document.relative_path,
            sha256=fetched.digest,
            size_bytes=fetched.size,
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

    def settle(self, fetched: _Fetched, outcome: ReaderOutput | DocumentError) -> None:
        """Accept a parsed document or reject a failed one; with ``on_error="fail"``, stop."""
        self.result.bytes_read += fetched.size
        try:
            if isinstance(outcome, DocumentError):
                raise outcome
            record, text = self.record(fetched, outcome)
        except Exception as error:  # one bad document must not lose the others
            failure = self.reject(fetched, error)
            if self.settings.on_error == "fail":
                raise ExtractionFailed(
                    f"{failure.source_uri}: {failure.reason} (on_error='fail')", self.result
                ) from error
        else:
            self.accept(record, text)

    def accept(self, record: DocumentRecord, text: str) -> None:
        row: dict[str, Any] = asdict(record)
        row["authors"] = list(record.authors)
        self.text.add({**row, "text": text})
        self.manifest.add({**row, "status": "extracted", "error": None})
        self.result.summary.add(record)

    def reject(self, fetched: _Fetched, error: Exception) -> DocumentFailure:
        """Record a failed document: in the result, as a manifest row, and in the log.

        It cannot fail itself: every text in the row is the listing's (``readable``) or the
        error's, made readable here, since a row that Parquet refuses would fail the run when
        its row group is written.
        """
        document = fetched.document
        if fetched.digest is None:  # unread files still belong to the collection's version
            self.result.summary.fingerprint(document.key, f"unread:{document.size}")
        if not isinstance(error, DocumentError):
            error = DocumentError(f"{type(error).__name__}: {error}", type(error).__name__)
        reason, error_type = error.reason, error.error_type
        fmt = format_for(document.name)
        failure = DocumentFailure(
            source_uri=document.uri,
            relative_path=document.relative_path,
            reason=reason,
            error_type=error_type,
            format=fmt.name if fmt else None,
            size_bytes=document.size,
            sha256=fetched.digest,
        )
        self.result.record_failure(failure)
        self.manifest.add(
            {
                "doc_id": _doc_id(document),
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


def _parser(settings: ExtractionSettings, logger: LogLike) -> InProcessParser | ReaderPool:
    """Reader processes with limits, or (``workers=0``) parsing in this process."""
    if settings.worker_count == 0:
        return InProcessParser(settings.read_limits)
    logger.info(
        "Parsing in %d reader processes, each document limited to %gs and %d MiB",
        settings.worker_count,
        settings.max_document_seconds,
        settings.max_document_memory_bytes // 2**20,
    )
    return ReaderPool(
        settings.worker_count,
        settings.read_limits,
        settings.max_document_seconds,
        settings.max_document_memory_bytes,
    )


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
    measure = Measure()
    run = _Run(source_uri, output_dir, settings, logger)
    result = run.result
    result.documents_total = len(documents)
    progress = ProgressReporter(
        "Extracted", len(documents), "documents", logger, interval=settings.progress_interval
    )
    parser = _parser(settings, logger)
    try:
        if not documents:
            raise ExtractionFailed(
                f"no documents in {source_uri} match include={list(settings.include)} "
                f"exclude={list(settings.exclude)}",
                result,
            )
        for job, outcome in parser.parse(run.fetch(document) for document in documents):
            result.documents_seen += 1
            run.settle(job.ref, outcome)
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
        parser.close()
        measure.record(result)
        result.peak_worker_memory_bytes = parser.peak_worker_memory_bytes
        result.readers_replaced = getattr(parser, "replaced", 0)
    progress.finish()
    return result
