"""Chunk documents by the embedding model's own tokenizer, keeping character offsets.

A chunk is a window of ``chunk_tokens`` tokens (special tokens not counted); consecutive windows
of a document share ``overlap_tokens``. Its text is ``text[start_char:end_char]``, the span from
its first token's first character to its last token's last character, so the chunk can always be
cut again from the text Parquet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tokenizers import Tokenizer


@dataclass(frozen=True)
class Chunk:
    doc_id: str
    chunk_index: int
    start_char: int
    end_char: int
    token_count: int


def backend_tokenizer(tokenizer: Any) -> Tokenizer:
    """The fast tokenizer's ``tokenizers.Tokenizer``, without truncation or padding.

    Chunking sees every token; a tokenizer.json that truncates would cut documents silently,
    so such a tokenizer is copied and the copy has both turned off.
    """
    backend: Tokenizer = tokenizer.backend_tokenizer
    if backend.truncation is not None or backend.padding is not None:
        backend = Tokenizer.from_str(backend.to_str())
        backend.no_truncation()
        backend.no_padding()
    return backend


class Chunker:
    """Cuts documents into token windows; the texts come from the caller, offsets from here."""

    def __init__(self, tokenizer: Tokenizer, chunk_tokens: int, overlap_tokens: int) -> None:
        self.tokenizer = tokenizer
        self.size = chunk_tokens
        self.step = chunk_tokens - overlap_tokens

    def chunks(self, doc_ids: list[str], texts: list[str]) -> list[list[Chunk]]:
        """Each document's chunks, in order (an empty list for a document without tokens)."""
        encodings = self.tokenizer.encode_batch(texts, add_special_tokens=False)
        return [
            self._windows(doc_id, encoding.offsets)
            for doc_id, encoding in zip(doc_ids, encodings, strict=True)
        ]

    def _windows(self, doc_id: str, offsets: list[tuple[int, int]]) -> list[Chunk]:
        found: list[Chunk] = []
        total = len(offsets)
        start = 0
        while start < total:
            end = min(start + self.size, total)
            found.append(
                Chunk(doc_id, len(found), offsets[start][0], offsets[end - 1][1], end - start)
            )
            if end == total:
                break
            start += self.step
        return found
