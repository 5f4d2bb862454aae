"""Tokenization engine: stream extraction text Parquet into token Parquet.

Memory does not grow with the corpus: two batches of documents (one encoding while the other
is written), one partial packed block and one batch of output sequences are held at a time,
and the result keeps counts, not ids. The one exception is deduplication, which keeps 16
bytes of hash per unique document.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Encoding, Tokenizer

from llm_lineage.common.measure import Measure
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.common.text_source import TEXT_COLUMNS, footer_metadata, open_text_source
from llm_lineage.tokenization.loader import LoadedTokenizer
from llm_lineage.tokenization.model import TokenizationFailed, TokenizationResult
from llm_lineage.tokenization.settings import TokenizationSettings
from llm_lineage.tokenization.tables import TOKENS_FILE, output_schema
from llm_lineage.tokenization.transforms import TransformChain

log = logging.getLogger(__name__)

#: A batch on its way: the kept documents' ids, their encodings to come, the rows read.
_Encoding = tuple[list[str], "Future[list[Encoding]]", int]

#: Renders Parquet footer metadata from a finished result (see tokenize_corpus).
Footer = Callable[[TokenizationResult], dict[str, str]]


def _encoder(tokenizer: Tokenizer, logger: LogLike) -> Callable[[list[str]], list[Encoding]]:
    """Batch encoding without truncation or padding: chunking and packing are done here.

    A tokenizer.json may enable either; encoding through it would cut documents silently,
    so such a tokenizer is copied and the copy has both turned off.
    """
    if tokenizer.truncation is not None or tokenizer.padding is not None:
        logger.warning(
            "The tokenizer enables truncation or padding; encoding without them "
            "(max_length, stride and block_size shape the sequences)"
        )
        tokenizer = Tokenizer.from_str(tokenizer.to_str())
        tokenizer.no_truncation()
        tokenizer.no_padding()
    # encode_batch_fast skips the character offsets that this step never reads.
    encode = getattr(tokenizer, "encode_batch_fast", tokenizer.encode_batch)

    def run(texts: list[str]) -> list[Encoding]:
        return list(encode(texts, add_special_tokens=False))

    return run


class _Sequences:
    """The sequences of one batch of documents, column by column, until ``flush`` writes them.

    Handing the writer whole columns lets it convert and hash a batch at once (see
    ``ParquetRowWriter.add_rows``): the same rows and hash as adding them one by one.
    """

    def __init__(self, writer: ParquetRowWriter, result: TokenizationResult) -> None:
        self.writer = writer
        self.result = result
        self.columns: dict[str, list[Any]] = {name: [] for name in writer.schema.names}

    def row(self, **values: Any) -> None:
        for name, value in values.items():
            self.columns[name].append(value)
        self.result.sequences += 1
        self.result.tokens += values["num_tokens"]

    def flush(self) -> None:
        if self.columns["input_ids"]:
            self.writer.add_rows(self.columns)
            self.columns = {name: [] for name in self.columns}


class _Chunker(_Sequences):
    """Per-document windows of max_length tokens; consecutive windows share stride tokens."""

    def __init__(
        self, writer: ParquetRowWriter, result: TokenizationResult, size: int, stride: int
    ):
        super().__init__(writer, result)
        self.size = size
        self.step = size - stride

    def add(self, doc_id: str, ids: list[int]) -> None:
        if len(ids) <= self.size:  # one window, the whole document: no copy
            self.row(doc_id=doc_id, chunk_index=0, input_ids=ids, num_tokens=len(ids))
            return
        start, index = 0, 0
        while start < len(ids):
            window = ids[start : start + self.size]
            self.row(doc_id=doc_id, chunk_index=index, input_ids=window, num_tokens=len(window))
            if start + self.size >= len(ids):
                break
            start += self.step
            index += 1

    def finish(self) -> None:
        self.flush()


class _Packer(_Sequences):
    """One stream of tokens cut into block_size blocks; the last partial block is dropped.

    Causal-LM training wants full blocks; a short last block would need padding that the
    model would then learn from, so it is counted and left out instead.
    """

    def __init__(self, writer: ParquetRowWriter, result: TokenizationResult, size: int):
        super().__init__(writer, result)
        self.size = size
        self._ids: list[int] = []
        self._doc_ids: list[str] = []

    def add(self, doc_id: str, ids: list[int]) -> None:
        position = 0
        while position < len(ids):
            take = min(self.size - len(self._ids), len(ids) - position)
            self._ids.extend(ids[position : position + take])
            self._doc_ids.append(doc_id)
            position += take
            if len(self._ids) == self.size:
                self.row(
                    block_index=self.result.sequences,
                    input_ids=self._ids,
                    num_tokens=self.size,
                    doc_ids=self._doc_ids,
                )
                self._ids, self._doc_ids = [], []

    def finish(self) -> None:
        self.flush()
        self.result.tokens_dropped_in_last_block = len(self._ids)
        self._ids, self._doc_ids = [], []


def _drops(chain: TransformChain) -> str:
    return ", ".join(f"{stats.name}: {stats.dropped}" for stats in chain.stats) or "no transforms"


def _sequencer(
    writer: ParquetRowWriter, result: TokenizationResult, settings: TokenizationSettings
) -> _Chunker | _Packer:
    """Packed blocks or per-document chunks, as the settings say."""
    if settings.packing:
        return _Packer(writer, result, settings.block_size)
    return _Chunker(writer, result, settings.sequence_length, settings.stride)


def _check_something_written(
    result: TokenizationResult, chain: TransformChain, source: Path, settings: TokenizationSettings
) -> None:
    """An empty output is a failure that says why: no documents, all dropped, too few tokens."""
    if result.documents_in == 0:
        raise TokenizationFailed(f"empty corpus: {source} has no documents", result)
    if result.documents_out == 0:
        raise TokenizationFailed(
            f"empty corpus after transforms: {result.documents_in} documents read from "
            f"{source}, none left (dropped by {_drops(chain)})",
            result,
        )
    if result.sequences == 0:
        raise TokenizationFailed(
            f"no sequences written: the corpus has {result.document_tokens} tokens, fewer "
            f"than block_size={settings.block_size}",
            result,
        )


class _Run:
    """State of one run: the source, the writer, the sequencer, the result, and the steps.

    ``open`` checks the settings and the source and starts the output. ``stream`` takes the
    batches of documents: ``keep`` drops what the transforms drop, the rest is encoded, and
    ``sequence`` / ``accept`` cut each document's tokens into sequences. ``close`` checks that
    something was written and writes the footer; ``abort`` removes the partial file.
    """

    # Set by ``open``, from the tokenizer and the settings.
    eos_id: int | None
    encode: Callable[[list[str]], list[Encoding]]
    sequencer: _Chunker | _Packer

    def __init__(self, source: Path, settings: TokenizationSettings, logger: LogLike) -> None:
        self.source = source
        self.settings = settings
        self.log = logger
        self.result = TokenizationResult()
        self.chain = TransformChain(settings.transforms)
        self.writer: ParquetRowWriter | None = None

    def open(self, tokenizer: LoadedTokenizer, output_dir: Path) -> pq.ParquetFile:
        """The source, once it and the settings are known to fit; the output file is started."""
        settings, result = self.settings, self.result
        try:
            settings.check_against(tokenizer)
        except ValueError as error:
            raise TokenizationFailed(str(error), result) from error
        parquet = open_text_source(self.source, result, TokenizationFailed)
        result.source_metadata = footer_metadata(parquet)
        self.eos_id = tokenizer.eos_token_id if settings.add_eos else None
        if settings.packing and not settings.add_eos:
            self.log.warning("packing with add_eos=False: documents join with no separator")
        self.encode = _encoder(tokenizer.tokenizer, self.log)
        output_dir.mkdir(parents=True, exist_ok=True)
        self.writer = ParquetRowWriter(
            output_dir / TOKENS_FILE,
            output_schema(settings.packing),
            group_rows=settings.row_group_rows,
        )
        self.sequencer = _sequencer(self.writer, result, settings)
        return parquet

    def stream(self, batches: Iterable[pa.RecordBatch], progress: ProgressReporter) -> None:
        """Transform, encode and sequence each batch; a batch encodes while the last is written.

        The tokenizer releases the GIL while it encodes, so the writing of one batch (Arrow
        conversion, hashing, Parquet) overlaps the encoding of the next. Transforms and
        sequencing stay on this thread, in source order: the output is the same.
        """
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tokenize") as pool:
            waiting: _Encoding | None = None
            for batch in batches:
                kept_ids, kept_texts = self.keep(batch)
                encoding = (kept_ids, pool.submit(self.encode, kept_texts), batch.num_rows)
                if waiting is not None:
                    self.sequence(*waiting, progress)
                waiting = encoding
            if waiting is not None:
                self.sequence(*waiting, progress)

    def sequence(
        self,
        kept_ids: list[str],
        encodings: Future[list[Encoding]],
        rows: int,
        progress: ProgressReporter,
    ) -> None:
        """Sequence one encoded batch of kept documents and hand it to the writer."""
        for doc_id, encoding in zip(kept_ids, encodings.result(), strict=True):
            self.accept(doc_id, encoding.ids)
        self.sequencer.flush()
        progress.advance(rows)

    def keep(self, batch: pa.RecordBatch) -> tuple[list[str], list[str]]:
        """The batch's documents that the transforms keep: their ids and transformed texts."""
        result = self.result
        doc_ids: list[Any] = batch.column("doc_id").to_pylist()
        texts: list[Any] = batch.column("text").to_pylist()
        kept_ids: list[str] = []
        kept_texts: list[str] = []
        for doc_id, text in zip(doc_ids, texts, strict=True):
            result.documents_in += 1
            if doc_id is None:
                raise TokenizationFailed(
                    f"{self.source} row {result.documents_in - 1} has no doc_id", result
                )
            transformed = self.chain.apply(text or "")
            if transformed is not None:
                kept_ids.append(doc_id)
                kept_texts.append(transformed)
        return kept_ids, kept_texts

    def accept(self, doc_id: str, ids: list[int]) -> None:
        """Count a kept document's tokens (its end-of-text included) and sequence them."""
        if self.eos_id is not None:
            ids.append(self.eos_id)
        self.result.count_document(len(ids))
        self.sequencer.add(doc_id, ids)

    def close(self, footer: Footer | None) -> None:
        """Flush the last sequence, fail if nothing was written, close the file with its footer."""
        assert self.writer is not None
        self.sequencer.finish()
        self.result.transform_stats = self.chain.stats
        _check_something_written(self.result, self.chain, self.source, self.settings)
        self.result.output = self.writer.close(footer(self.result) if footer else None)

    def abort(self) -> None:
        """Keep the transforms' counts for the partial result; remove the partial file."""
        self.result.transform_stats = self.chain.stats
        if self.writer is not None:
            self.writer.abort()
            self.writer.path.unlink(missing_ok=True)


def tokenize_corpus(
    source: Path,
    output_dir: Path,
    tokenizer: LoadedTokenizer,
    settings: TokenizationSettings | None = None,
    logger: LogLike | None = None,
    footer: Footer | None = None,
) -> TokenizationResult:
    """Tokenize the extraction text Parquet at ``source`` into ``output_dir``/tokens.parquet.

    The source's footer metadata lands in ``result.source_metadata`` so lineage can continue
    the chain that made it; ``footer`` renders this output's footer from the finished result.

    Raises TokenizationFailed (carrying the partial result) when ``source`` is not extraction
    output, the settings do not fit the tokenizer, or nothing is left to write. The partial
    file is removed; the caller stages ``output_dir`` and publishes it only on success.
    """
    settings = settings or TokenizationSettings()
    logger = logger or log
    measure = Measure()
    run = _Run(source, settings, logger)
    try:
        parquet = run.open(tokenizer, output_dir)
        progress = ProgressReporter(
            "Tokenized",
            parquet.metadata.num_rows,
            "documents",
            logger,
            interval=settings.progress_interval,
        )
        run.stream(
            parquet.iter_batches(batch_size=settings.batch_size, columns=list(TEXT_COLUMNS)),
            progress,
        )
        run.close(footer)
    except BaseException:
        run.abort()
        raise
    finally:
        measure.record(run.result)
    progress.finish()
    _log_summary(logger, run.result)
    return run.result


def _log_summary(logger: LogLike, result: TokenizationResult) -> None:
    logger.info(
        "Tokenized %d of %d documents (%s dropped) into %d sequences, %d tokens",
        result.documents_out,
        result.documents_in,
        result.documents_dropped,
        result.sequences,
        result.tokens,
    )
