"""One document from bytes to rows, in the reader process that parses it.

The per-document work besides parsing happens where the parsing does, so that the task's
process, which reads every document and writes every row, is not the bottleneck of a run on
many cores: the sha256 of the bytes, the manifest record (metadata, dates, library), the
record's bytes in the content hash (``common/row_hash.py``, what ``ParquetRowWriter.add``
would hash for the row), and the text's UTF-8 encoding. The task's process gets a ready
``Encoded`` and appends it to both writers (``ParquetRowWriter.add_encoded``): the same files
and versions as adding the rows one by one there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from llm_lineage.common.row_hash import ROW_END, hash_utf8, hash_value
from llm_lineage.extraction.content import content_of
from llm_lineage.extraction.dates import from_timestamp
from llm_lineage.extraction.limits import ReadLimits
from llm_lineage.extraction.model import DocumentError, DocumentRecord, ReaderOutput
from llm_lineage.extraction.readers import Reader, reader_for

#: The record's columns, in the order of the text and manifest schemas (``tables.py``).
RECORD_COLUMNS = tuple(DocumentRecord.__dataclass_fields__)
#: What ``add`` hashes after a manifest row's record: status "extracted", no error.
EXTRACTED = ("extracted", None)
EXTRACTED_HASHED = hash_value("extracted") + hash_value(None) + ROW_END


@dataclass(frozen=True)
class DocumentInfo:
    """What the listing tells of a document, which a reader needs besides its bytes."""

    doc_id: str
    source_uri: str
    relative_path: str
    mtime: float | None
    format: str
    mime_type: str


@dataclass(frozen=True)
class Encoded:
    """A parsed document, ready for the writers.

    ``hashed``: the content-hash bytes of the record's columns; ``strings``: the characters of
    the record's string values; ``text``: the text in UTF-8, ``characters`` long.
    """

    record: DocumentRecord
    hashed: bytes
    strings: int
    text: bytes

    def values(self) -> list[object]:
        """The record's column values in schema order (authors as a list, as Arrow takes it)."""
        record = self.record
        row = [getattr(record, name) for name in RECORD_COLUMNS]
        row[RECORD_COLUMNS.index("authors")] = list(record.authors)
        return row

    def text_hashed(self) -> tuple[bytes, bytes, bytes, bytes]:
        return self.hashed, hash_utf8(self.text), self.text, ROW_END


@dataclass(frozen=True)
class Failed:
    """A document that could not be read, and the sha256 of its bytes when they were read."""

    error: DocumentError
    digest: str | None = None


Outcome = Encoded | Failed


def as_error(error: BaseException) -> DocumentError:
    """Any exception as a document's error: its type names the kind."""
    if isinstance(error, DocumentError):
        return error
    if isinstance(error, MemoryError):
        return DocumentError("out of memory while parsing", "MemoryError")
    return DocumentError(f"{type(error).__name__}: {error}", type(error).__name__)


def parse_document(info: DocumentInfo, data: bytes, limits: ReadLimits) -> Outcome:
    """Hash, parse and encode one document; every exception becomes the document's error."""
    digest = hashlib.sha256(data).hexdigest()
    reader = reader_for(info.format)
    if reader is None:
        return Failed(DocumentError("unsupported format: no reader for this file extension"))
    try:
        return encode(info, digest, len(data), reader.read(data, limits), reader)
    except Exception as error:  # one bad document must not lose the others
        return Failed(as_error(error), digest)


def encode(
    info: DocumentInfo, digest: str, size: int, output: ReaderOutput, reader: Reader
) -> Encoded:
    """The document's record and rows; a text-less document is an error."""
    if not output.text.strip():
        hint = " (scanned pages without a text layer?)" if info.format == "pdf" else ""
        raise DocumentError(f"no extractable text{hint}")
    file_time = from_timestamp(info.mtime)
    record = DocumentRecord(
        doc_id=info.doc_id,
        source_uri=info.source_uri,
        relative_path=info.relative_path,
        sha256=digest,
        size_bytes=size,
        format=info.format,
        mime_type=info.mime_type,
        title=output.title,
        authors=output.authors,
        created=output.created or file_time,
        created_source="metadata" if output.created else "filesystem",
        modified=output.modified or file_time,
        modified_source="metadata" if output.modified else "filesystem",
        pages=output.pages,
        characters=len(output.text),
        encoding=output.encoding,
        encoding_fallback=output.encoding_fallback,
        extractor=reader.library,
        extractor_version=reader.version,
    )
    row = {name: getattr(record, name) for name in RECORD_COLUMNS}
    row["authors"] = list(record.authors)
    content = content_of(row)
    hashed = b"".join(hash_value(content[name]) for name in RECORD_COLUMNS if name in content)
    strings = sum(len(value) for value in row.values() if isinstance(value, str))
    return Encoded(record, hashed, strings, output.text.encode("utf-8"))
