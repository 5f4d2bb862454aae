"""The Parquet layouts that extraction writes; the lineage schema facets are derived from these."""

from __future__ import annotations

import pyarrow as pa

from llm_lineage.extraction.content import LOCATION_COLUMNS, content_of

__all__ = ["COLLECTION_FIELDS", "LOCATION_COLUMNS", "MANIFEST_SCHEMA", "TEXT_SCHEMA", "content_of"]

_TIMESTAMP = pa.timestamp("us", tz="UTC")


def _field(name: str, kind: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, kind, nullable=nullable, metadata={"description": description})


_RECORD_FIELDS = [
    _field("doc_id", pa.string(), "Stable id: sha256 of the path relative to the source", False),
    _field("source_uri", pa.string(), "URI of the source document", False),
    _field("relative_path", pa.string(), "Path of the document relative to the source", False),
    _field("sha256", pa.string(), "sha256 of the document's bytes"),
    _field("size_bytes", pa.int64(), "Size of the document in bytes"),
    _field("format", pa.string(), "Document format: pdf, docx, html, markdown, text"),
    _field("mime_type", pa.string(), "MIME type of the document"),
    _field("title", pa.string(), "Title from the document's metadata"),
    _field("authors", pa.list_(pa.string()), "Authors from the document's metadata"),
    _field("created", _TIMESTAMP, "Creation time (UTC)"),
    _field("created_source", pa.string(), "Where created came from: metadata or filesystem"),
    _field("modified", _TIMESTAMP, "Last modification time (UTC)"),
    _field("modified_source", pa.string(), "Where modified came from: metadata or filesystem"),
    _field("pages", pa.int32(), "Pages (PDF only)"),
    _field("characters", pa.int64(), "Characters of extracted text"),
    _field("encoding", pa.string(), "Text encoding used to decode the document (text formats)"),
    _field("encoding_fallback", pa.bool_(), "True when the document was not UTF-8"),
    _field("extractor", pa.string(), "Library that extracted the text"),
    _field("extractor_version", pa.string(), "Version of that library"),
]

TEXT_SCHEMA = pa.schema(
    [*_RECORD_FIELDS, _field("text", pa.large_string(), "Extracted text", False)]
)

MANIFEST_SCHEMA = pa.schema(
    [
        *_RECORD_FIELDS,
        _field("status", pa.string(), "extracted or failed", False),
        _field("error", pa.string(), "Why the document failed, when it did"),
    ]
)

#: Fields of the source collection as the lineage sees it (one logical record per document).
COLLECTION_FIELDS: list[tuple[str, str, str]] = [
    ("path", "string", "Path of the document within the collection"),
    ("content", "binary", "The document's bytes"),
    ("title", "string", "Title in the document's metadata"),
    ("author", "string", "Author(s) in the document's metadata"),
    ("created", "timestamp", "Creation date in the document's metadata or the file system"),
    ("modified", "timestamp", "Modification date in the document's metadata or the file system"),
]
