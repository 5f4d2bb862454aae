"""ObjectStoragePath helpers shared by the hooks: resolving locations, reading footers.

Reads go through the filesystem (``path.fs``) rather than ``ObjectStoragePath.open`` on
purpose: ``open`` reports every file to the hook lineage collector, and a corpus of 10,000
documents should be one input dataset, not 10,000.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pyarrow.parquet as pq
from airflow.sdk import ObjectStoragePath

from llm_lineage.common.parquet import CONTENT_HASH_KEY
from llm_lineage.lineage.chain import read_chain, read_provenance
from llm_lineage.lineage.naming import decode_path, encode_path
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.storage.paths import is_local

#: The connection each scheme's provider hooks use when none is named (``S3Hook``'s default).
DEFAULT_CONNECTIONS = {"s3": "aws_default", "s3a": "aws_default", "s3n": "aws_default"}


def default_conn_id(location: str | os.PathLike[str], conn_id: str | None = None) -> str | None:
    """``conn_id`` when one is named, else the provider's default connection for the scheme.

    ``aws_default`` for ``s3://``, none for local paths and schemes without a default. A URL
    that names its connection (``s3://my_conn@bucket/key``) needs none: ObjectStoragePath reads
    it from the URL. An empty string counts as none, so a DAG can pass an empty param as it is.
    """
    if conn_id:
        return conn_id
    text = os.fspath(location)
    scheme, separator, rest = text.partition("://")
    if not separator or "@" in rest.split("/", 1)[0]:
        return None
    return DEFAULT_CONNECTIONS.get(scheme.lower())


def is_remote(location: str | os.PathLike[str]) -> bool:
    """A URL of an object store (``s3://``, ``gs://``, ...), not a local path or ``file://``."""
    scheme, separator, _ = os.fspath(location).partition("://")
    return bool(separator) and scheme.lower() not in ("file", "local", "http", "https")


def storage_path(location: str | os.PathLike[str], conn_id: str | None = None) -> ObjectStoragePath:
    """An ObjectStoragePath for a local path or URL; local paths become absolute ``file://``.

    A URL goes to fsspec as it is: its path is the key as stored. A local path goes in raw,
    below ``file:///``, never as ``Path.as_uri()``: fsspec takes a ``file://`` URL's path
    literally, so ``%25`` would name a folder ``%25``, and ObjectStoragePath drops tabs and
    newlines from its first argument (``urlsplit``), so the path is a second one.
    """
    text = os.fspath(location)
    if "://" in text:
        return ObjectStoragePath(text, conn_id=conn_id)
    absolute = os.fspath(Path(text).expanduser().absolute())
    return ObjectStoragePath("file:///", absolute.lstrip("/"), conn_id=conn_id)


def parquet_path(
    location: str | os.PathLike[str], conn_id: str | None, default_file: str
) -> ObjectStoragePath:
    """``location`` when it names a Parquet file, else ``default_file`` in that folder.

    Lets a step take the previous step's output folder or its file; touches storage only to
    tell a folder from a file.
    """
    path = storage_path(location, conn_id)
    if not str(path).endswith(".parquet") and path.is_dir():
        path = path / default_file
    return path


def location_uri(path: ObjectStoragePath) -> str:
    """The URI that lineage names: ``file:///abs/path`` or ``s3://bucket/key``, no conn id.

    The path or key is the one fsspec reads, percent-encoded once here (``%`` becomes ``%25``)
    and decoded once by ``dataset_id``, so the dataset's name is the real path or key.
    """
    if is_local(path):
        return Path(path.path).as_uri()
    return f"{path.protocol}://{path.bucket}/{encode_path(path.key)}".rstrip("/")


def uri_path(uri: str, conn_id: str | None = None) -> ObjectStoragePath:
    """The ObjectStoragePath that ``location_uri`` named ``uri``: its inverse.

    The path or key is decoded once, as ``location_uri`` encoded it, and a local path goes in as
    ``storage_path`` puts it, so the round trip reads the same file. A connection given in the
    original URL (``s3://conn_id@bucket/...``) is not in the URI; ``conn_id`` stands for it.
    """
    scheme, _, rest = uri.partition("://")
    if scheme == "file":
        return ObjectStoragePath("file:///", decode_path(rest).lstrip("/"), conn_id=conn_id)
    return ObjectStoragePath(f"{scheme}://{decode_path(rest)}", conn_id=conn_id)


def file_uri(root: ObjectStoragePath, path: str) -> str:
    """URI of a file that ``root.fs`` listed (fsspec lists paths without their protocol).

    The listed path is the real one, so it is encoded once, like ``location_uri``'s.
    """
    if is_local(root):
        return Path(path).as_uri()
    bucket, _, key = path.lstrip("/").partition("/")
    return f"{root.protocol}://{bucket}/{encode_path(key)}"


def local_copy(path: ObjectStoragePath, staging: Path) -> Path:
    """A file as a local path: itself when local, else downloaded into the staging folder.

    Each download gets a folder of its own in ``staging``: the shards of a mapped step share a
    file name (``tokens.parquet``), and one name for all would leave every shard's copy holding
    the last shard's rows.
    """
    if is_local(path):
        return Path(path.path)
    target = Path(tempfile.mkdtemp(prefix="source-", dir=staging)) / path.name
    with path.fs.open(path.path, "rb") as remote, target.open("wb") as local:
        shutil.copyfileobj(remote, local, 8 * 1024 * 1024)
    return target


def parquet_info(path: ObjectStoragePath) -> SourceInfo:
    """Footer facts of a Parquet file a step reads: schema, rows, content hash, its chain.

    Reads only the footer. Raises ``pyarrow.ArrowInvalid`` or ``OSError`` for other files.
    """
    with path.fs.open(path.path, "rb") as handle:
        metadata = pq.ParquetFile(handle).metadata
        schema = metadata.schema.to_arrow_schema()
    footer = metadata.metadata or {}
    written_by, chain = read_chain(footer)
    content_hash = footer.get(CONTENT_HASH_KEY.encode())
    return SourceInfo(
        schema=schema.remove_metadata(),
        rows=metadata.num_rows,
        size_bytes=int(path.fs.size(path.path)),
        content_hash=content_hash.decode() if content_hash else None,
        written_by=written_by,
        chain=chain,
        provenance=read_provenance(footer),
    )
