"""What travels with the data, in the Parquet footer of each step's output.

The next step reads the footer of its input and continues the chain (how fingerprints chain is
``lineage/transformation_chain.py``), so the tokens' lineage lists the extraction steps too,
even when the two steps run in different DAGs or years apart.
Beside the chain, a small provenance record travels the same way: the extraction step writes a
summary of the documents, and tokenization copies it forward with the text dataset's version
and the tokenizer's identity. The fine-tuning step reads only its token files' footers, so this
is how the adapter's model card can say which documents it was trained on.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import attr

from llm_lineage.facets.transformations import (
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
)

STEP_KEY = "llm_lineage.step"
TRANSFORMATIONS_KEY = "llm_lineage.transformations"
PROVENANCE_KEY = "llm_lineage.provenance"


def chain_footer(step: str, facet: LlmLineageTransformationsDatasetFacet) -> dict[str, str]:
    """Footer metadata naming the step that wrote the file and the chain that made it."""
    steps = [attr.asdict(s, filter=lambda a, _: not a.name.startswith("_")) for s in facet.steps]
    return {STEP_KEY: step, TRANSFORMATIONS_KEY: json.dumps(steps, sort_keys=True)}


def _text(metadata: Mapping[bytes, bytes], key: str) -> str | None:
    value = metadata.get(key.encode())
    return value.decode() if value is not None else None


def read_chain(
    metadata: Mapping[bytes, bytes] | None,
) -> tuple[str | None, list[TransformationStep]]:
    """The step that wrote a Parquet file and its chain; ``(None, [])`` for other files."""
    if not metadata:
        return None, []
    raw = _text(metadata, TRANSFORMATIONS_KEY)
    steps: list[dict[str, Any]] = json.loads(raw) if raw else []
    return _text(metadata, STEP_KEY), [TransformationStep(**step) for step in steps]


@dataclass(frozen=True)
class DocumentsSummary:
    """The documents behind a text file, as its extraction run reported them.

    Bounded whatever the corpus: ``authors`` holds the most frequent few, already under the run's
    author policy (names, ``author:<hex>`` tokens, or none), so a later step can show them
    without knowing the salt or the policy.
    """

    source: str
    """URI of the document collection, as lineage names it."""
    version: str
    """The collection's ``datasetVersion``."""
    documents: int
    failed: int
    formats: tuple[tuple[str, int], ...]
    author_policy: str
    authors: tuple[tuple[str, int], ...]
    distinct_authors: int
    documents_without_author: int
    created: tuple[str, str] | None = None
    """Earliest and latest creation date (ISO 8601)."""
    modified: tuple[str, str] | None = None


@dataclass(frozen=True)
class DatasetRef:
    uri: str
    version: str | None


@dataclass(frozen=True)
class TokenizerRef:
    name: str
    """As the tokenization step was given it: a hub id or a local path."""
    revision: str | None
    sha256: str


@dataclass(frozen=True)
class CurationSummary:
    """What curation did to the text behind a file: counts only, and where its decisions are."""

    decisions: DatasetRef
    documents_in: int
    documents_out: int
    documents_changed: int
    dropped: tuple[tuple[str, int], ...]
    """Documents each rule dropped, most first."""
    pii_mode: str
    pii_found: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class Provenance:
    """Where a file's data came from, as far as the steps that wrote it knew."""

    documents: DocumentsSummary | None = None
    text: DatasetRef | None = None
    tokenizer: TokenizerRef | None = None
    curation: CurationSummary | None = None


def provenance_footer(provenance: Provenance) -> dict[str, str]:
    return {PROVENANCE_KEY: json.dumps(dataclasses.asdict(provenance), sort_keys=True)}


def read_provenance(metadata: Mapping[bytes, bytes] | None) -> Provenance | None:
    """The provenance a footer carries; None for files without one or with a malformed one.

    A malformed record is dropped rather than raised: it only describes the data, and a card
    that says "not recorded" is better than a training run that refuses good tokens. Fields are
    read by name and converted, so a footer from a later version (more fields) still reads.
    """
    raw = _text(metadata, PROVENANCE_KEY) if metadata else None
    if not raw:
        return None
    try:
        record = json.loads(raw)
        text, tokenizer = record.get("text"), record.get("tokenizer")
        return Provenance(
            documents=_documents(record.get("documents")),
            text=DatasetRef(str(text["uri"]), _optional(text.get("version"))) if text else None,
            tokenizer=TokenizerRef(
                str(tokenizer["name"]),
                _optional(tokenizer.get("revision")),
                str(tokenizer["sha256"]),
            )
            if tokenizer
            else None,
            curation=_curation(record.get("curation")),
        )
    except (ValueError, TypeError, KeyError, IndexError, AttributeError):
        return None


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _pairs(values: Any) -> tuple[tuple[str, int], ...]:
    return tuple((str(name), int(count)) for name, count in values)


def _curation(record: dict[str, Any] | None) -> CurationSummary | None:
    if not record:
        return None
    decisions = record["decisions"]
    return CurationSummary(
        decisions=DatasetRef(str(decisions["uri"]), _optional(decisions.get("version"))),
        documents_in=int(record["documents_in"]),
        documents_out=int(record["documents_out"]),
        documents_changed=int(record["documents_changed"]),
        dropped=_pairs(record["dropped"]),
        pii_mode=str(record["pii_mode"]),
        pii_found=_pairs(record["pii_found"]),
    )


def _documents(record: dict[str, Any] | None) -> DocumentsSummary | None:
    if not record:
        return None

    def pairs(key: str) -> tuple[tuple[str, int], ...]:
        return tuple((str(name), int(count)) for name, count in record[key])

    def span(key: str) -> tuple[str, str] | None:
        value = record.get(key)
        return (str(value[0]), str(value[1])) if value else None

    return DocumentsSummary(
        source=str(record["source"]),
        version=str(record["version"]),
        documents=int(record["documents"]),
        failed=int(record["failed"]),
        formats=pairs("formats"),
        author_policy=str(record["author_policy"]),
        authors=pairs("authors"),
        distinct_authors=int(record["distinct_authors"]),
        documents_without_author=int(record["documents_without_author"]),
        created=span("created"),
        modified=span("modified"),
    )
