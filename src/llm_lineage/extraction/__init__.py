"""Document extraction engine (no Airflow import): readers, Parquet output, typed results."""

from __future__ import annotations

from llm_lineage.extraction.engine import MANIFEST_FILE, TEXT_FILE, extract_corpus
from llm_lineage.extraction.model import (
    CorpusSummary,
    DocumentError,
    DocumentFailure,
    DocumentRecord,
    ExtractionFailed,
    ExtractionResult,
    WrittenFile,
)
from llm_lineage.extraction.settings import DEFAULT_INCLUDE, ExtractionSettings
from llm_lineage.extraction.source import SourceDocument, is_selected, local_documents

__all__ = [
    "DEFAULT_INCLUDE",
    "MANIFEST_FILE",
    "TEXT_FILE",
    "CorpusSummary",
    "DocumentError",
    "DocumentFailure",
    "DocumentRecord",
    "ExtractionFailed",
    "ExtractionResult",
    "ExtractionSettings",
    "SourceDocument",
    "WrittenFile",
    "extract_corpus",
    "is_selected",
    "local_documents",
]
