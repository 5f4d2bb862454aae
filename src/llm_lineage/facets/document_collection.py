"""A collection of documents read as one input dataset: counts, formats, authors, dates, sample."""

from __future__ import annotations

from typing import ClassVar

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

#: 1-1-0 added ``declaration``; 1-0-0 events still validate against the 1-0-0 schema.
VERSION = "1-1-0"


@attr.define
class FormatCount(RedactMixin):
    format: str
    mimeType: str
    documentCount: int
    _skip_redact: ClassVar[list[str]] = ["format", "mimeType", "documentCount"]


@attr.define
class AuthorCount(RedactMixin):
    """An author as the author policy shows it (name, salted hash token), with its documents."""

    name: str
    documentCount: int


@attr.define
class DateRange(RedactMixin):
    earliest: str
    latest: str
    _skip_redact: ClassVar[list[str]] = ["earliest", "latest"]


@attr.define
class DocumentSample(RedactMixin):
    uri: str
    sha256: str
    format: str
    sizeBytes: int
    title: str | None = attr.field(default=None)


@attr.define
class SourceDeclaration(RedactMixin):
    """What the pipeline's operator declared about the source (``lineage/declaration.py``)."""

    kind: str
    licence: str
    publicName: str
    optOutRespected: bool | None = attr.field(default=None)
    _skip_redact: ClassVar[list[str]] = ["kind", "licence", "publicName", "optOutRespected"]


@attr.define
class LlmLineageDocumentCollectionDatasetFacet(ProducedHere, DatasetFacet):
    """Aggregates over the documents of a collection, bounded whatever the corpus size."""

    #: Bounding hints (``lineage/facet_walk.py``): examples, the first thing dropped when an
    #: event is over its budget.
    _sample_fields: ClassVar[frozenset[str]] = frozenset({"sample"})

    documentCount: int
    """Documents read successfully."""
    failedDocumentCount: int
    """Documents that matched the selection but could not be read."""
    totalBytes: int
    totalCharacters: int
    totalPages: int
    formats: list[FormatCount]
    authorPolicy: str
    """include, hash (salted, stable tokens) or omit."""
    authors: list[AuthorCount]
    """Most frequent authors first, capped; see distinctAuthorCount for the total."""
    distinctAuthorCount: int
    authorsTruncated: bool
    documentsWithoutAuthor: int
    datesFromMetadata: int
    """Documents whose dates came from their own metadata rather than the file system."""
    datesFromFilesystem: int
    encodingFallbacks: int
    """Text documents that were not UTF-8 and were decoded with a detected encoding."""
    sample: list[DocumentSample]
    created: DateRange | None = attr.field(default=None)
    modified: DateRange | None = attr.field(default=None)
    manifestUri: str | None = attr.field(default=None)
    """Where the full per-document record is."""
    declaration: SourceDeclaration | None = attr.field(default=None)
    """The source's declared kind, licence, opt-outs and public name, when one was given."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageDocumentCollectionDatasetFacet", VERSION)
