"""Curation engine: stream extraction text Parquet through the rules into kept text and decisions.

Memory does not grow with the text: one batch of documents is held at a time, and the
deduplicator keeps a digest and a MinHash signature per kept document (``curation/dedup.py``).
The rules run in a fixed order on each document, in source order, so the same input and
settings give the same output, row for row, and the same content hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.common.measure import Measure
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.common.text_source import footer_metadata, open_text_source
from llm_lineage.curation import dedup, language, quality
from llm_lineage.curation.dedup import Deduplicator, Duplicate
from llm_lineage.curation.language import Identified, LanguageIdentifier
from llm_lineage.curation.model import CurationFailed, CurationResult
from llm_lineage.curation.pii import find_and_redact
from llm_lineage.curation.quality import QualityMeasures
from llm_lineage.curation.settings import PII_KINDS, CurationSettings
from llm_lineage.curation.tables import DECISIONS_FILE, DECISIONS_SCHEMA, TEXT_FILE

log = logging.getLogger(__name__)

#: Renders Parquet footer metadata from a finished result.
Footer = Callable[[CurationResult], dict[str, str]]
#: Picks the part of a text row that the content hash covers (``extraction.tables.content_of``).
Content = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass
class _Decision:
    """What the rules made of one document."""

    text: str
    reasons: list[str]
    kept: bool
    identified: Identified | None = None
    measures: QualityMeasures | None = None
    pii: dict[str, int] | None = None
    duplicate: Duplicate | None = None


class _Rules:
    """The rules the settings turn on, applied to one document at a time, in order."""

    def __init__(self, settings: CurationSettings, result: CurationResult) -> None:
        self.settings = settings
        self.languages: LanguageIdentifier | None = None
        self.dedup: Deduplicator | None = None
        if settings.languages is not None:
            self.languages = LanguageIdentifier(settings.language_sample_characters)
            result.libraries["lingua-language-detector"] = language.library_version()
        if settings.deduplicate:
            self.dedup = Deduplicator(settings)
            result.libraries["datasketch"] = dedup.library_version()

    def identify(self, texts: list[str]) -> list[Identified | None]:
        if self.languages is None:
            return [None] * len(texts)
        return list(self.languages.identify(texts))

    def decide(self, doc_id: str, text: str, identified: Identified | None) -> _Decision:
        settings = self.settings
        decision = _Decision(text=text, reasons=[], kept=True, identified=identified)
        if identified is not None and settings.languages is not None:
            code, confidence = identified
            if code not in settings.languages or confidence < settings.language_min_confidence:
                decision.reasons.append("language")
        if settings.quality:
            decision.measures = quality.measure(text)
            decision.reasons += quality.failed_checks(decision.measures, settings)
        if settings.pii != "off":
            self._pii(decision)
        decision.kept = not [reason for reason in decision.reasons if reason != "pii"]
        if settings.pii == "drop" and "pii" in decision.reasons:
            decision.kept = False
        if self.dedup is not None:
            self._duplicates(doc_id, decision)
        return decision

    def _pii(self, decision: _Decision) -> None:
        mode = self.settings.pii
        text, counts = find_and_redact(decision.text, self.settings.pii_kinds, mode == "redact")
        decision.pii = counts
        if any(counts.values()) and mode in ("redact", "drop"):
            decision.reasons.append("pii")
            decision.text = text

    def _duplicates(self, doc_id: str, decision: _Decision) -> None:
        assert self.dedup is not None
        minhash = self.dedup.signature(decision.text)
        decision.duplicate = self.dedup.find(decision.text, minhash)
        if decision.duplicate is not None:
            decision.reasons.append(decision.duplicate.reason)
            decision.kept = False
        elif decision.kept:
            self.dedup.add(doc_id, decision.text, minhash)


def _decision_row(row: dict[str, Any], decision: _Decision) -> dict[str, Any]:
    """One row of decisions.parquet: ids, verdict, and what each rule measured."""
    language_code, confidence = decision.identified or (None, None)
    measures = decision.measures
    duplicate = decision.duplicate
    values: dict[str, Any] = {
        "doc_id": row["doc_id"],
        "relative_path": row.get("relative_path"),
        "kept": decision.kept,
        "reasons": decision.reasons,
        "duplicate_of": duplicate.of if duplicate else None,
        "similarity": round(duplicate.similarity, 6) if duplicate else None,
        "language": language_code,
        "language_confidence": None if confidence is None else round(confidence, 6),
        "characters_in": len(row["text"] or ""),
        "characters_out": len(decision.text) if decision.kept else None,
    }
    for name, value in measures.__dict__.items() if measures else ():
        values[name] = round(value, 6) if isinstance(value, float) else value
    for kind in PII_KINDS:
        values[f"pii_{kind}"] = decision.pii.get(kind) if decision.pii is not None else None
    return values


class _Run:
    """State of one run: the source, the two writers, the rules and the result.

    ``open`` checks the source and starts both outputs; ``stream`` takes the batches, each
    through ``batch`` (languages identified for the whole batch, then ``decide`` and ``record``
    per document, in order); ``close`` checks something was kept and writes the footers;
    ``abort`` removes the partial files.
    """

    rules: _Rules

    def __init__(
        self, source: Path, settings: CurationSettings, logger: LogLike, content: Content | None
    ) -> None:
        self.source = source
        self.settings = settings
        self.log = logger
        self.content = content
        self.result = CurationResult()
        self.text: ParquetRowWriter | None = None
        self.decisions: ParquetRowWriter | None = None

    def open(self, output_dir: Path) -> pq.ParquetFile:
        """The source, once known to be extraction output; both output files are started."""
        parquet = open_text_source(self.source, self.result, CurationFailed)
        self.result.source_metadata = footer_metadata(parquet)
        self.rules = _Rules(self.settings, self.result)
        output_dir.mkdir(parents=True, exist_ok=True)
        rows = self.settings.row_group_rows
        self.text = ParquetRowWriter(
            output_dir / TEXT_FILE, parquet.schema_arrow, group_rows=rows, content=self.content
        )
        self.decisions = ParquetRowWriter(
            output_dir / DECISIONS_FILE, DECISIONS_SCHEMA, group_rows=rows
        )
        return parquet

    def stream(self, batches: Iterable[pa.RecordBatch], progress: ProgressReporter) -> None:
        for batch in batches:
            self.batch(batch)
            progress.advance(batch.num_rows)

    def batch(self, batch: pa.RecordBatch) -> None:
        rows = batch.to_pylist()
        texts = [row["text"] or "" for row in rows]
        for row, text, identified in zip(rows, texts, self.rules.identify(texts), strict=True):
            if row["doc_id"] is None:
                raise CurationFailed(
                    f"{self.source} row {self.result.documents_in} has no doc_id", self.result
                )
            self.record(row, self.rules.decide(row["doc_id"], text, identified))

    def record(self, row: dict[str, Any], decision: _Decision) -> None:
        """Write the decision, and the document when kept; count both."""
        assert self.text is not None and self.decisions is not None
        result = self.result
        characters = len(row["text"] or "")
        result.documents_in += 1
        result.characters_in += characters
        if not decision.kept:
            drop_pii = self.settings.pii == "drop"
            result.reasons.update(r for r in decision.reasons if r != "pii" or drop_pii)
        if decision.identified is not None and decision.identified[0] is not None:
            result.languages[decision.identified[0]] += 1
        if decision.pii and any(decision.pii.values()):
            result.pii_documents += 1
            result.pii_found.update({k: v for k, v in decision.pii.items() if v})
        self.decisions.add(_decision_row(row, decision))
        if not decision.kept:
            result.characters_dropped += characters
            return
        if decision.text != row["text"]:
            result.documents_changed += 1
            row = {**row, "text": decision.text}
            if "characters" in row:
                row["characters"] = len(decision.text)
        result.documents_out += 1
        result.characters_out += len(decision.text)
        self.text.add(row)

    def close(self, footer: Footer | None, decisions_footer: Footer | None) -> None:
        assert self.text is not None and self.decisions is not None
        result = self.result
        if result.documents_in == 0:
            raise CurationFailed(f"empty corpus: {self.source} has no documents", result)
        if result.documents_out == 0:
            raise CurationFailed(
                f"nothing kept: all {result.documents_in} documents of {self.source} were "
                f"dropped ({describe_reasons(result)})",
                result,
            )
        # The decisions first: the text's footer may name their version.
        result.decisions = self.decisions.close(
            decisions_footer(result) if decisions_footer else None
        )
        result.text = self.text.close(footer(result) if footer else None)

    def abort(self) -> None:
        for writer in (self.text, self.decisions):
            if writer is not None:
                writer.abort()
                writer.path.unlink(missing_ok=True)


def describe_reasons(result: CurationResult) -> str:
    """``near_duplicate: 2, language: 1``: the documents each rule dropped, most first."""
    ranked = sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{reason}: {count}" for reason, count in ranked) or "no rule dropped any"


def curate_corpus(
    source: Path,
    output_dir: Path,
    settings: CurationSettings | None = None,
    logger: LogLike | None = None,
    footer: Footer | None = None,
    decisions_footer: Footer | None = None,
    content: Content | None = None,
) -> CurationResult:
    """Curate the extraction text Parquet at ``source`` into ``output_dir``.

    Writes ``text.parquet`` (the kept documents, the source's schema, the text redacted where
    the PII rule says so) and ``decisions.parquet`` (one row per document read). ``footer`` and
    ``decisions_footer`` render each file's footer from the finished result; ``content`` picks
    what of a text row its content hash covers (default: the whole row).

    Raises CurationFailed (carrying the partial result) when ``source`` is not extraction
    output, has no documents, or every document is dropped. The partial files are removed.
    """
    settings = settings or CurationSettings()
    logger = logger or log
    measure = Measure()
    run = _Run(source, settings, logger, content)
    try:
        parquet = run.open(output_dir)
        progress = ProgressReporter(
            "Curated",
            parquet.metadata.num_rows,
            "documents",
            logger,
            interval=settings.progress_interval,
            detail=lambda: f"kept {run.result.documents_out}",
        )
        run.stream(parquet.iter_batches(batch_size=settings.batch_size), progress)
        run.close(footer, decisions_footer)
    except BaseException:
        run.abort()
        raise
    finally:
        measure.record(run.result)
    progress.finish()
    logger.info(
        "Kept %d of %d documents (%d changed); dropped %d (%s)",
        run.result.documents_out,
        run.result.documents_in,
        run.result.documents_changed,
        run.result.documents_dropped,
        describe_reasons(run.result),
    )
    return run.result
