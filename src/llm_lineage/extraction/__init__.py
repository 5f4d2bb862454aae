"""Document extraction engine (no Airflow import): readers, Parquet output, typed results.

Names are loaded on first use (PEP 562), so a reader process, which imports only
``extraction.worker`` and the readers, does not pay for pyarrow and pydantic at start-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from llm_lineage.extraction.engine import MANIFEST_FILE, TEXT_FILE, extract_corpus, start_parser
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

_HOMES = {
    "MANIFEST_FILE": "engine",
    "TEXT_FILE": "engine",
    "extract_corpus": "engine",
    "start_parser": "engine",
    "CorpusSummary": "model",
    "DocumentError": "model",
    "DocumentFailure": "model",
    "DocumentRecord": "model",
    "ExtractionFailed": "model",
    "ExtractionResult": "model",
    "WrittenFile": "model",
    "DEFAULT_INCLUDE": "settings",
    "ExtractionSettings": "settings",
    "SourceDocument": "source",
    "is_selected": "source",
    "local_documents": "source",
}

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
    "start_parser",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{home}"), name)
