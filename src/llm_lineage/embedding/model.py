"""Typed results of embedding: the model's identity, what the run read, chunked and wrote."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.outputs import WrittenFile


@dataclass(frozen=True)
class ModelFiles:
    """A sentence-transformers model resolved to a local folder and fingerprinted (no torch)."""

    source: str
    """As the user gave it: a folder or a hub id."""
    location: str
    """The URI lineage names the model by."""
    path: str
    revision: str | None
    fingerprint: str
    """sha256 over every file that defines the model (configs, tokenizer, weights)."""
    files: int
    size_bytes: int


@dataclass(frozen=True)
class LoadedModel:
    """The loaded encoder and what lineage records of it."""

    files: ModelFiles
    encoder: Any
    """The ``SentenceTransformer``."""
    dimension: int
    similarity: str
    max_seq_length: int
    special_tokens: int
    """Tokens the tokenizer adds to every input (e.g. [CLS] and [SEP])."""
    model_type: str | None
    device: str
    library_version: str


@dataclass
class EmbeddingResult:
    """Everything one embedding run learned; the lineage layer turns it into facets."""

    documents_in: int = 0
    documents_embedded: int = 0
    documents_empty: int = 0
    chunks: int = 0
    tokens: int = 0
    truncated_chunks: int = 0
    """Chunks longer than the model's max_seq_length (with its special tokens): the model
    embedded only their first tokens."""
    output: WrittenFile | None = None
    vector_store_version: int | None = None
    """The LanceDB table version this run wrote, when it wrote one."""
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0
    encode_seconds: float = 0.0
    peak_memory_bytes: int | None = None
    source_metadata: dict[str, str] = field(default_factory=dict)

    @property
    def chunks_per_second(self) -> float:
        return self.chunks / self.wall_seconds if self.wall_seconds > 0 else 0.0


class EmbeddingFailed(LlmLineageError):
    """The run stopped; ``result`` still holds what it learned so that lineage can report it."""

    def __init__(self, message: str, result: EmbeddingResult) -> None:
        super().__init__(message)
        self.result = result


class EmbeddingModelError(LlmLineageError, ValueError):
    """The model cannot be resolved or loaded; the message names the folder or hub id."""
