"""Duplicates: exact (same words, whitespace aside) and near (MinHash LSH on word shingles).

Memory grows with the documents kept, never with their text: per kept document a 16-byte hash
of its text, its MinHash signature (4 bytes per permutation) and its LSH band keys. datasketch
is imported when a run starts, so DAG parsing does not need the ``[curation]`` extra.

The first document of a group is kept, in the order the source lists them (a deterministic
order: extraction writes documents sorted by path); each later one names it in
``duplicate_of``. LSH candidates are confirmed with the signatures' estimated Jaccard
similarity, so a band collision below the threshold never drops a document.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from llm_lineage.common.versions import package_version
from llm_lineage.curation.settings import CurationSettings

_WORDS = re.compile(r"\w+")


@dataclass(frozen=True)
class Duplicate:
    """Why a document is a duplicate: ``reason`` (exact or near) and the kept document."""

    reason: str
    of: str
    similarity: float


def shingles(text: str, size: int) -> set[bytes]:
    """The text's word ``size``-grams, lower-cased, punctuation aside (one shingle if shorter)."""
    words = _WORDS.findall(text.lower())
    if len(words) <= size:
        return {" ".join(words).encode()} if words else set()
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}


def exact_key(text: str) -> bytes:
    """A 16-byte digest of the text with its whitespace runs made single spaces."""
    return hashlib.blake2b(" ".join(text.split()).encode(), digest_size=16).digest()


def library_version() -> str:
    return package_version("datasketch")


class Deduplicator:
    """Finds each document's earlier kept duplicate; ``add`` indexes a kept document."""

    def __init__(self, settings: CurationSettings) -> None:
        from datasketch import MinHash, MinHashLSH

        self.shingle_size = settings.shingle_size
        self.threshold = settings.jaccard_threshold
        self._minhash = MinHash
        self._template = MinHash(num_perm=settings.num_perm, seed=settings.minhash_seed)
        self._lsh = MinHashLSH(threshold=settings.jaccard_threshold, num_perm=settings.num_perm)
        self._exact: dict[bytes, int] = {}
        self._signatures: list[np.ndarray] = []
        self._doc_ids: list[str] = []

    def signature(self, text: str) -> Any:
        """The MinHash of the text's shingles, or None for a text without words."""
        grams = shingles(text, self.shingle_size)
        if not grams:
            return None
        template = self._template
        minhash = self._minhash(
            seed=template.seed,
            permutations=template.permutations,
            scheme=template.scheme,
            num_perm=template.num_perm,
        )
        minhash.update_batch(sorted(grams))
        return minhash

    def find(self, text: str, minhash: Any) -> Duplicate | None:
        """The earliest kept document that ``text`` duplicates, exactly or nearly."""
        exact = self._exact.get(exact_key(text))
        if exact is not None:
            return Duplicate("exact_duplicate", self._doc_ids[exact], 1.0)
        if minhash is None:
            return None
        best: tuple[int, float] | None = None
        for index in self._lsh.query(minhash):
            similarity = float(np.mean(self._signatures[index] == minhash.hashvalues))
            if similarity >= self.threshold and (best is None or index < best[0]):
                best = (index, similarity)
        if best is None:
            return None
        return Duplicate("near_duplicate", self._doc_ids[best[0]], best[1])

    def add(self, doc_id: str, text: str, minhash: Any) -> None:
        """Index a kept document: later duplicates of it name ``doc_id``."""
        index = len(self._doc_ids)
        self._doc_ids.append(doc_id)
        self._exact.setdefault(exact_key(text), index)
        self._signatures.append(
            minhash.hashvalues.copy() if minhash is not None else np.empty(0, np.uint32)
        )
        if minhash is not None:
            self._lsh.insert(index, minhash, check_duplication=False)
