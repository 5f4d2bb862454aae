"""Does this document feed this adapter? The takedown question, answered from the manifests.

Events summarise a corpus; the manifest Parquet that extraction writes beside the text lists
every document with its sha256, relative path, source URI and status. For each document
collection in a trace, the manifest named by its ``manifestUri`` is read (only the columns
needed, so size does not matter) where it can be reached, and searched for the document. The
manifest's footer records its content hash: when it differs from the version the traced run
wrote, the file was rewritten since, and the answer says so. A document listed as extracted may
still have been dropped by a curation on the way: when every path from the dataset to the
documents goes through a curated text, the decisions files decide (``report/curation.py``).

For embeddings (the Parquet, or a LanceDB table at a table version), the answer also counts the
chunks of the document in the index: the manifest gives the document's ``doc_id``, and only
that column of the index is read.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llm_lineage.events import kinds
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.report.curation import CurationCheck, check_curations
from llm_lineage.report.trace import Node

CONTENT_HASH_KEY = b"llm_lineage.content_hash"
_COLUMNS = ["relative_path", "source_uri", "sha256", "status"]
_SHA256 = re.compile(r"[0-9a-fA-F]{64}")
YES, NO, UNKNOWN = "yes", "no", "unknown"


@dataclass(frozen=True)
class Query:
    """A document as the user named it: its sha256, and the path or URI it was given as."""

    sha256: str | None
    uri: str | None
    path: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "uri": self.uri, "path": self.path}


def query(argument: str) -> Query:
    """A sha256 as it is; an existing file is hashed; any other path or URI is matched by name."""
    if _SHA256.fullmatch(argument):
        return Query(argument.lower(), None, None)
    path = Path(argument).expanduser()
    digest = _sha256(path) if path.is_file() else None
    return Query(digest, dataset_id(argument).uri, argument)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ManifestCheck:
    """One collection's manifest, and what it says about the document."""

    collection: str
    manifest: str | None
    expected_version: str | None
    reachable: bool = False
    reason: str | None = None
    manifest_version: str | None = None
    matches: list[dict[str, Any]] = field(default_factory=list)
    doc_ids: list[str] = field(default_factory=list)
    """The matched documents' ids, to count their chunks in an index (not in the answer)."""

    @property
    def stale(self) -> bool:
        return bool(
            self.reachable
            and self.expected_version
            and self.manifest_version
            and self.manifest_version != self.expected_version
        )

    def as_dict(self) -> dict[str, Any]:
        shown = {key: value for key, value in self.__dict__.items() if key != "doc_ids"}
        return {**shown, "stale": self.stale}


@dataclass
class ChunkCount:
    """How many chunks of the document an embeddings index holds, at the traced version."""

    index: str
    version: str | None
    chunks: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class DocumentAnswer:
    query: Query
    verdict: str
    checks: list[ManifestCheck]
    chunks: ChunkCount | None = None
    curations: list[CurationCheck] = field(default_factory=list)

    @property
    def explanation(self) -> str | None:
        """What curation did to the document: why it was dropped, or what was redacted."""
        said = [row["explanation"] for check in self.curations for row in check.rows]
        return "; ".join(dict.fromkeys(said)) or None

    def as_dict(self) -> dict[str, Any]:
        return {
            "query": self.query.as_dict(),
            "verdict": self.verdict,
            "explanation": self.explanation,
            "manifests": [check.as_dict() for check in self.checks],
            "chunks": self.chunks.as_dict() if self.chunks else None,
            "curations": [check.as_dict() for check in self.curations],
        }


def check_document(root: Node, wanted: Query) -> DocumentAnswer:
    checks = [_check(node, wanted, manifest_version) for node, manifest_version in _sources(root)]
    listed = [row for check in checks for row in check.matches if row.get("status") == "extracted"]
    curations = []
    if listed:
        doc_ids = {str(row["doc_id"]) for row in listed if row.get("doc_id")}
        paths = {str(row["relative_path"]) for row in listed if row.get("relative_path")}
        curations = check_curations(root, doc_ids, paths)
    verdict = _verdict(checks)
    if verdict == YES and curations and _curated_only(root):
        verdict = _after_curation(curations)
    answer = DocumentAnswer(wanted, verdict, checks, curations=curations)
    if root.kind == kinds.EMBEDDINGS:
        doc_ids = {doc_id for check in checks for doc_id in check.doc_ids}
        answer.chunks = count_chunks(root, doc_ids)
    return answer


def _curated_only(root: Node) -> bool:
    """Every path from ``root`` to a document collection goes through a curated text."""

    def down(node: Node, curated: bool) -> bool:
        if node.kind == kinds.DOCUMENTS:
            return curated
        curated = curated or node.kind == kinds.CURATED
        return all(down(child, curated) for child in node.inputs)

    return down(root, False)


def _after_curation(curations: list[CurationCheck]) -> str:
    """No when every curation that saw the document dropped it; unknown when one is unread."""
    if not all(check.reachable for check in curations):
        return UNKNOWN
    seen = [check for check in curations if check.rows]
    return NO if seen and all(check.dropped for check in seen) else YES


def count_chunks(index: Node, doc_ids: set[str]) -> ChunkCount:
    """The rows of ``doc_ids`` in an embeddings Parquet or a LanceDB table (``*.lance``)."""
    found = ChunkCount(index.id.uri, index.version)
    if not doc_ids:
        found.chunks = 0
        return found
    try:
        if index.id.name.endswith(".lance"):
            found.chunks = _lance_rows(index, doc_ids)
        else:
            found.chunks = _parquet_rows(index.id.uri, doc_ids)
    except Exception as error:  # an index that cannot be read is an answer, not a crash
        found.reason = f"{type(error).__name__}: {error}"[:300]
    return found


def _parquet_rows(uri: str, doc_ids: set[str]) -> int:
    import pyarrow as pa
    import pyarrow.compute as pc

    filesystem, path = _filesystem(uri)
    table = _read_column(path, filesystem)
    return int(pc.sum(pc.is_in(table["doc_id"], pa.array(sorted(doc_ids)))).as_py() or 0)


def _read_column(path: str, filesystem: Any) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(path, columns=["doc_id"], filesystem=filesystem)


def _lance_rows(index: Node, doc_ids: set[str]) -> int:
    """Rows at the traced table version (the dataset version is the Lance table version)."""
    import lancedb

    location = index.id.location
    database, _, folder = location.rstrip("/").rpartition("/")
    table = lancedb.connect(database).open_table(folder.removesuffix(".lance"))
    if index.version and index.version.isdigit():
        table.checkout(int(index.version))
    quoted = ", ".join("'" + doc_id.replace("'", "''") + "'" for doc_id in sorted(doc_ids))
    return int(table.count_rows(f"doc_id IN ({quoted})"))


def _filesystem(uri: str) -> tuple[Any, str]:
    import pyarrow.fs as pafs

    identity = dataset_id(uri)
    if identity.namespace == "file":
        return pafs.LocalFileSystem(), identity.name
    return pafs.FileSystem.from_uri(identity.location)


def _sources(root: Node) -> list[tuple[Node, str | None]]:
    """Each document collection in the trace, with the manifest version its extraction wrote."""
    found = []
    for node in root.walk():
        for child in node.inputs:
            if child.kind != kinds.DOCUMENTS or node.step is None:
                continue
            manifest = child.details.get("manifest")
            written = {seen.id: seen.version for seen in node.step.run.outputs}
            expected = written.get(dataset_id(manifest)) if manifest else None
            found.append((child, expected))
    return found


def _check(collection: Node, wanted: Query, expected: str | None) -> ManifestCheck:
    manifest = collection.details.get("manifest")
    check = ManifestCheck(collection.id.uri, manifest, expected)
    if not manifest:
        check.reason = "the collection names no manifest"
        return check
    try:
        check.manifest_version, rows = _read_manifest(manifest, wanted)
    except (OSError, ValueError, ImportError) as error:
        check.reason = f"{type(error).__name__}: {error}"[:300]
        return check
    check.reachable = True
    check.doc_ids = [str(row["doc_id"]) for row in rows if row.get("doc_id")]
    check.matches = rows
    return check


def _read_manifest(uri: str, wanted: Query) -> tuple[str | None, list[dict[str, Any]]]:
    """The manifest's footer content hash and the rows naming the document (identifying
    columns only, never any text), filtered in Arrow so a large manifest stays cheap."""
    import pyarrow.compute as pc
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    identity = dataset_id(uri)
    if identity.namespace == "file":
        filesystem, path = pafs.LocalFileSystem(), identity.name
    else:
        filesystem, path = pafs.FileSystem.from_uri(identity.location)
    metadata = pq.read_metadata(path, filesystem=filesystem).metadata or {}
    version = metadata.get(CONTENT_HASH_KEY)
    names = pq.read_schema(path, filesystem=filesystem).names
    extra = ["doc_id"] if "doc_id" in names else []  # an extraction manifest has it
    table = pq.read_table(path, columns=[*extra, *_COLUMNS], filesystem=filesystem)
    wanted_values = (
        ("sha256", wanted.sha256),
        ("source_uri", wanted.uri),
        ("relative_path", wanted.path),
    )
    mask = None
    for column, value in wanted_values:
        if value:
            hit = pc.fill_null(pc.equal(table[column], value), False)
            mask = hit if mask is None else pc.or_(mask, hit)
    rows = table.filter(mask).to_pylist() if mask is not None else []
    return (version.decode() if version else None), rows


def _verdict(checks: list[ManifestCheck]) -> str:
    if any(row.get("status") == "extracted" for check in checks for row in check.matches):
        return YES
    if checks and all(check.reachable for check in checks):
        return NO
    return UNKNOWN
