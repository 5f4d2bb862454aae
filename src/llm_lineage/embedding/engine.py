"""Embedding engine: stream text Parquet, chunk by the model's tokenizer, encode, write vectors.

Memory does not grow with the corpus: one batch of ``read_rows`` documents, its chunks and
their vectors are held at a time, and row groups are written as they fill.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.common.measure import Measure
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.common.text_source import TEXT_COLUMNS, footer_metadata, open_text_source
from llm_lineage.embedding.chunking import Chunk, Chunker, backend_tokenizer
from llm_lineage.embedding.model import EmbeddingFailed, EmbeddingResult, LoadedModel
from llm_lineage.embedding.settings import EmbeddingSettings
from llm_lineage.embedding.tables import EMBEDDINGS_FILE, output_schema
from llm_lineage.embedding.writer import EmbeddingWriter

log = logging.getLogger(__name__)

#: Renders Parquet footer metadata from a finished result (see embed_corpus).
Footer = Callable[[EmbeddingResult], dict[str, str]]


class _Run:
    """State of one run: ``open`` checks the source and starts the output; ``stream`` takes the
    batches of documents: ``keep`` reads them, ``chunk`` cuts them, ``accept`` encodes and writes
    the chunks; ``close`` checks something was written and writes the footer; ``abort`` removes
    the partial file."""

    chunker: Chunker

    def __init__(
        self, source: Path, model: LoadedModel, settings: EmbeddingSettings, logger: LogLike
    ) -> None:
        self.source = source
        self.model = model
        self.settings = settings
        self.log = logger
        self.result = EmbeddingResult()
        self.writer: EmbeddingWriter | None = None

    def open(self, output_dir: Path) -> pq.ParquetFile:
        settings, model = self.settings, self.model
        parquet = open_text_source(self.source, self.result, EmbeddingFailed, "text Parquet")
        self.result.source_metadata = footer_metadata(parquet)
        longest = settings.chunk_tokens + model.special_tokens
        if longest > model.max_seq_length:
            self.log.warning(
                "chunk_tokens=%d plus %d special tokens is over the model's max_seq_length %d: "
                "the model embeds only the first tokens of full chunks (counted as truncated)",
                settings.chunk_tokens,
                model.special_tokens,
                model.max_seq_length,
            )
        tokenizer = backend_tokenizer(model.encoder.tokenizer)
        self.chunker = Chunker(tokenizer, settings.chunk_tokens, settings.overlap_tokens)
        output_dir.mkdir(parents=True, exist_ok=True)
        self.writer = EmbeddingWriter(
            output_dir / EMBEDDINGS_FILE,
            output_schema(model.dimension, settings.include_text),
            settings.row_group_rows,
        )
        return parquet

    def stream(self, batches: Iterable[pa.RecordBatch], progress: ProgressReporter) -> None:
        for batch in batches:
            doc_ids, texts = self.keep(batch)
            per_document = self.chunker.chunks(doc_ids, texts)
            chunks: list[Chunk] = []
            chunk_texts: list[str] = []
            for text, found in zip(texts, per_document, strict=True):
                self.count(found)
                chunks += found
                chunk_texts += [text[c.start_char : c.end_char] for c in found]
            self.accept(chunks, chunk_texts)
            progress.advance(batch.num_rows)

    def keep(self, batch: pa.RecordBatch) -> tuple[list[str], list[str]]:
        doc_ids: list[Any] = batch.column("doc_id").to_pylist()
        texts: list[Any] = batch.column("text").to_pylist()
        for position, doc_id in enumerate(doc_ids):
            if doc_id is None:
                row = self.result.documents_in + position
                raise EmbeddingFailed(f"{self.source} row {row} has no doc_id", self.result)
        self.result.documents_in += len(doc_ids)
        return doc_ids, [text or "" for text in texts]

    def count(self, chunks: list[Chunk]) -> None:
        result, limit = self.result, self.model.max_seq_length - self.model.special_tokens
        if not chunks:
            result.documents_empty += 1
            return
        result.documents_embedded += 1
        result.chunks += len(chunks)
        result.tokens += sum(c.token_count for c in chunks)
        result.truncated_chunks += sum(1 for c in chunks if c.token_count > limit)

    def accept(self, chunks: list[Chunk], texts: list[str]) -> None:
        """Encode one batch's chunks and hand them to the writer."""
        if not chunks:
            return
        assert self.writer is not None
        started = time.perf_counter()
        vectors = self.model.encoder.encode(
            texts,
            batch_size=self.settings.batch_size,
            normalize_embeddings=self.settings.normalize,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        self.result.encode_seconds += time.perf_counter() - started
        self.writer.add(chunks, vectors, texts if self.settings.include_text else None)

    def close(self, footer: Footer | None) -> None:
        assert self.writer is not None
        result = self.result
        if result.documents_in == 0:
            raise EmbeddingFailed(f"empty corpus: {self.source} has no documents", result)
        if result.chunks == 0:
            raise EmbeddingFailed(
                f"nothing to embed: the {result.documents_in} documents of {self.source} have "
                "no text",
                result,
            )
        version = self.writer.version(self.model.files.fingerprint, self.settings.versioned())
        result.output = self.writer.close(version, footer(result) if footer else None)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.abort()
            self.writer.path.unlink(missing_ok=True)


def embed_corpus(
    source: Path,
    output_dir: Path,
    model: LoadedModel,
    settings: EmbeddingSettings | None = None,
    logger: LogLike | None = None,
    footer: Footer | None = None,
) -> EmbeddingResult:
    """Embed the text Parquet at ``source`` into ``output_dir``/embeddings.parquet.

    The source's footer metadata lands in ``result.source_metadata``; ``footer`` renders this
    output's footer from the finished result. Raises EmbeddingFailed (carrying the partial
    result) when ``source`` is not text Parquet or has nothing to embed; the partial file is
    removed, and the caller stages ``output_dir`` and publishes it only on success.
    """
    settings = settings or EmbeddingSettings()
    logger = logger or log
    measure = Measure()
    run = _Run(source, model, settings, logger)
    try:
        parquet = run.open(output_dir)
        progress = ProgressReporter(
            "Embedded",
            parquet.metadata.num_rows,
            "documents",
            logger,
            interval=settings.progress_interval,
        )
        run.stream(
            parquet.iter_batches(batch_size=settings.read_rows, columns=list(TEXT_COLUMNS)),
            progress,
        )
        run.close(footer)
    except BaseException:
        run.abort()
        raise
    finally:
        measure.record(run.result)
    progress.finish()
    result = run.result
    logger.info(
        "Embedded %d chunks (%d tokens, %d truncated) of %d of %d documents (%d without text)",
        result.chunks,
        result.tokens,
        result.truncated_chunks,
        result.documents_embedded,
        result.documents_in,
        result.documents_empty,
    )
    return result
