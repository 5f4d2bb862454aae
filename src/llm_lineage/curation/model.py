"""Typed results of curation: what the run read, kept, dropped (and why), changed and wrote."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.outputs import WrittenFile


@dataclass
class CurationResult:
    """Everything one curation run learned; the lineage layer turns it into facets.

    ``reasons`` counts documents per rule that dropped them (a document two rules drop counts
    for both); ``pii_found`` counts findings per kind over all documents read, ``pii_documents``
    the documents with any. Counts only: no text, no value found, ever.
    """

    documents_in: int = 0
    documents_out: int = 0
    documents_changed: int = 0
    characters_in: int = 0
    characters_out: int = 0
    characters_dropped: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    pii_found: Counter[str] = field(default_factory=Counter)
    pii_documents: int = 0
    languages: Counter[str] = field(default_factory=Counter)
    libraries: dict[str, str] = field(default_factory=dict)
    """Library → version, for each rule's library that ran."""
    text: WrittenFile | None = None
    decisions: WrittenFile | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    source_metadata: dict[str, str] = field(default_factory=dict)
    """Key-value metadata of the source's Parquet footer (e.g. the extraction chain)."""

    @property
    def documents_dropped(self) -> int:
        return self.documents_in - self.documents_out

    @property
    def documents_per_second(self) -> float:
        return self.documents_in / self.wall_seconds if self.wall_seconds > 0 else 0.0


class CurationFailed(LlmLineageError):
    """The run stopped; ``result`` still holds what it learned so that lineage can report it."""

    def __init__(self, message: str, result: CurationResult) -> None:
        super().__init__(message)
        self.result = result
