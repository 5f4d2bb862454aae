"""Typed results of tokenization: what the run read, dropped, encoded and wrote."""

from __future__ import annotations

from dataclasses import dataclass, field

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.tokenization.transforms import TransformStats


@dataclass
class TokenizationResult:
    """Everything one tokenization run learned; the lineage layer turns it into facets.

    Document token counts are taken after the transforms and before chunking or packing, with
    the end-of-text token; ``tokens`` counts what the written sequences hold (chunk overlap
    included, the dropped last partial block excluded).
    """

    documents_in: int = 0
    documents_out: int = 0
    sequences: int = 0
    tokens: int = 0
    document_tokens: int = 0
    tokens_per_document_min: int | None = None
    tokens_per_document_max: int | None = None
    transform_stats: list[TransformStats] = field(default_factory=list)
    tokens_dropped_in_last_block: int = 0
    output: WrittenFile | None = None
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    source_metadata: dict[str, str] = field(default_factory=dict)
    """Key-value metadata of the source's Parquet footer (e.g. the extraction chain)."""

    def count_document(self, tokens: int) -> None:
        """Fold one encoded document into the per-document statistics."""
        self.documents_out += 1
        self.document_tokens += tokens
        low, high = self.tokens_per_document_min, self.tokens_per_document_max
        self.tokens_per_document_min = tokens if low is None else min(low, tokens)
        self.tokens_per_document_max = tokens if high is None else max(high, tokens)

    @property
    def tokens_per_document_mean(self) -> float | None:
        return self.document_tokens / self.documents_out if self.documents_out else None

    @property
    def documents_dropped(self) -> int:
        return self.documents_in - self.documents_out

    @property
    def tokens_per_second(self) -> float:
        """Tokens written per second of wall time."""
        return self.tokens / self.wall_seconds if self.wall_seconds > 0 else 0.0


class TokenizationFailed(LlmLineageError):
    """The run stopped; ``result`` still holds what it learned so that lineage can report it."""

    def __init__(self, message: str, result: TokenizationResult) -> None:
        super().__init__(message)
        self.result = result
