"""Extraction engine: read a corpus one document at a time, write text and manifest Parquet.

Memory does not grow with the corpus: one document's bytes are held at a time, rows go to
Parquet in row groups, and the corpus summary keeps counts, not records.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from llm_lineage.common.measure import Measure
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.extraction.encode import (
    EXTRACTED,
    EXTRACTED_HASHED,
    DocumentInfo,
    Encoded,
    Failed,
    Outcome,
    as_error,
)
from llm_lineage.extraction.formats import format_for
from llm_lineage.extraction.model import (
    DocumentError,
    DocumentFailure,
    ExtractionFailed,
    ExtractionResult,
)
from llm_lineage.extraction.parsing import InProcessParser, ParseJob
from llm_lineage.extraction.pool import ReaderPool
from llm_lineage.extraction.readers import reader_for
from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.extraction.source import SourceDocument
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA, content_of

log = logging.getLogger(__name__)

#: Renders Parquet footer metadata from a finished result (see extract_corpus).
Footer = Callable[[ExtractionResult], dict[str, str]]

#: At or below both, with the default ``workers`` (None), a corpus is parsed in the task's
#: process: a reader process takes about 0.23 s of CPU to start (Python, our modules, one
#: format's library), as long as parsing 2 MiB of PDF or HTML takes. The trade-off: such a run
#: has no per-document time or memory limit (the readers' own limits, ``ReadLimits``, the ZIP
#: and nesting checks, still apply); ``workers=1`` or more keeps them for any corpus.
SMALL_CORPUS_DOCUMENTS = 64
SMALL_CORPUS_BYTES = 2 * 2**20

TEXT_FILE = "text.parquet"
MANIFEST_FILE = "manifest.parquet"


def _doc_id(document: SourceDocument) -> str:
    """Made from the relative path's bytes: a name that is not UTF-8 has an id of its own."""
    return hashlib.sha256(document.key).hexdigest()[:16]


@dataclass
class _Fetched:
    """A document as the task read it: how many bytes (bounded)."""

    document: SourceDocument
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
            job.info, job.data = self._read(document, fetched)
        except DocumentError as error:
            job.error = error
        except Exception as error:  # a storage error on one file must not lose the others
            job.error = as_error(error)
        if job.data == b"":
            job.info, job.data, job.digest = None, None, hashlib.sha256(b"").hexdigest()
            job.error = DocumentError("empty file (0 bytes)")
        return job

    def _read(self, document: SourceDocument, fetched: _Fetched) -> tuple[DocumentInfo, bytes]:
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
        info = DocumentInfo(
            _doc_id(document),
            document.uri,
            document.relative_path,
            document.mtime,
            fmt.name,
            fmt.mime_type,
        )
        return info, data

    def settle(self, fetched: _Fetched, outcome: Outcome) -> None:
        """Accept a parsed document or reject a failed one; with ``on_error="fail"``, stop.

        Both fold the document into the collection's version, in document order."""
        self.result.bytes_read += fetched.size
        if isinstance(outcome, Encoded):
            self.result.summary.fingerprint(fetched.document.key, outcome.record.sha256)
            self.accept(outcome)
            return
        failure = self.reject(fetched, outcome)
        if self.settings.on_error == "fail":
            raise ExtractionFailed(
                f"{failure.source_uri}: {failure.reason} (on_error='fail')", self.result
            ) from outcome.error

    def accept(self, encoded: Encoded) -> None:
        """The rows as the reader made them (``encode.py``): one text row, one manifest row."""
        values = encoded.values()
        record = encoded.record
        self.text.add_encoded(
            [*values, encoded.text], encoded.text_hashed(), encoded.strings + record.characters
        )
        self.manifest.add_encoded(
            [*values, *EXTRACTED], (encoded.hashed, EXTRACTED_HASHED), encoded.strings + 9
        )
        self.result.summary.add(record)

    def reject(self, fetched: _Fetched, outcome: Failed) -> DocumentFailure:
        """Record a failed document: in the result, as a manifest row, and in the log.

        It cannot fail itself: every text in the row is the listing's (``readable``) or the
        error's, made readable here, since a row that Parquet refuses would fail the run when
        its row group is written.
        """
        document, digest = fetched.document, outcome.digest
        # unread files still belong to the collection's version
        self.result.summary.fingerprint(document.key, digest or f"unread:{document.size}")
        reason, error_type = outcome.error.reason, outcome.error.error_type
        fmt = format_for(document.name)
        failure = DocumentFailure(
            source_uri=document.uri,
            relative_path=document.relative_path,
            reason=reason,
            error_type=error_type,
            format=fmt.name if fmt else None,
            size_bytes=document.size,
            sha256=digest,
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


def start_parser(settings: ExtractionSettings) -> InProcessParser | ReaderPool:
    """Reader processes, started now so that they start while the caller lists the source
    (pass it to ``extract_corpus``, and close it); or (``workers=0``) parsing in this process."""
    if settings.worker_count == 0:
        return InProcessParser(settings.read_limits)
    pool = ReaderPool(
        settings.worker_count,
        settings.read_limits,
        settings.max_document_seconds,
        settings.max_document_memory_bytes,
    )
    pool.start()
    return pool


def is_small(documents: Sequence[SourceDocument]) -> bool:
    """A corpus that parses in less time than reader processes take to start."""
    if len(documents) > SMALL_CORPUS_DOCUMENTS:
        return False
    return sum(document.size for document in documents) <= SMALL_CORPUS_BYTES


def _ready_parser(
    parser: InProcessParser | ReaderPool,
    documents: Sequence[SourceDocument],
    settings: ExtractionSettings,
    logger: LogLike,
) -> InProcessParser | ReaderPool:
    """Once the source is listed: the readers of its formats, in the processes or here."""
    if isinstance(parser, ReaderPool) and settings.workers is None and is_small(documents):
        parser.close()
        logger.info("Parsing %d documents in this process (a small corpus)", len(documents))
        return InProcessParser(settings.read_limits)
    formats = {fmt.name for d in documents if (fmt := format_for(d.name)) is not None}
    parser.load(formats)
    if isinstance(parser, ReaderPool):
        logger.info(
            "Parsing in %d reader processes, each document limited to %gs and %d MiB",
            parser.size,
            settings.max_document_seconds,
            settings.max_document_memory_bytes // 2**20,
        )
    return parser


def extract_corpus(
    documents: Sequence[SourceDocument],
    source_uri: str,
    output_dir: Path,
    settings: ExtractionSettings | None = None,
    logger: LogLike | None = None,
    footer: Footer | None = None,
    parser: InProcessParser | ReaderPool | None = None,
) -> ExtractionResult:
    """Extract ``documents`` into ``output_dir``/text.parquet and manifest.parquet.

    ``parser``: from ``start_parser``, called before the source was listed (default: started
    here); it is closed at the end. ``footer`` renders key-value metadata for both files' Parquet footers from
    the finished result, so the data carries how it was made to the steps that read it.

    Raises ExtractionFailed (carrying the partial result) when ``on_error="fail"`` meets a bad
    document, when nothing matched, or when every document failed. The caller stages
    ``output_dir`` and publishes it only on success.
    """
    settings = settings or ExtractionSettings()
    logger = logger or log
    measure = Measure()
    parser = _ready_parser(parser or start_parser(settings), documents, settings, logger)
    run = _Run(source_uri, output_dir, settings, logger)
    try:
        _extract(run, parser, documents, footer)
    finally:
        parser.close()
        measure.record(run.result)
        run.result.peak_worker_memory_bytes = parser.peak_worker_memory_bytes
        run.result.readers_replaced = parser.replaced
    return run.result


def _extract(
    run: _Run,
    parser: InProcessParser | ReaderPool,
    documents: Sequence[SourceDocument],
    footer: Footer | None,
) -> None:
    result, settings = run.result, run.settings
    result.documents_total = len(documents)
    progress = ProgressReporter(
        "Extracted", len(documents), "documents", run.log, interval=settings.progress_interval
    )
    try:
        if not documents:
            raise ExtractionFailed(
                f"no documents in {result.source_uri} match include={list(settings.include)} "
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
                f"all {result.failure_count} documents in {result.source_uri} failed; first: "
                f"{first.source_uri}: {first.reason}",
                result,
            )
        run.close(footer)
    except BaseException:
        run.abort()
        raise
    progress.finish()
