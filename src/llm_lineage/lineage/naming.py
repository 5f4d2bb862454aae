"""Dataset namespace and name from a path or URL, by OpenLineage's naming rules.

Local files: namespace ``file``, name the absolute path. A LanceDB table is named by where it is
stored, as a file dataset: ``<database>/<table>.lance`` (``lance_table_uri``). Object stores: namespace
``scheme://bucket``, name the key. Credentials, query strings and fragments never enter a name,
and trailing slashes are dropped, so one step's output is the next step's input exactly.

Names are real, URIs are encoded, once. OpenLineage combines namespace and name into a URI
(``scheme://authority/path``), and its name for a file or an object is the path or the key as
stored: ``/data/100%`` and the key ``100%/x``, never ``100%25``. So a name is never
percent-encoded, and a URI (``DatasetId.uri``, ``hooks.storage.location_uri``) is the name
percent-encoded exactly once, as ``Path.as_uri`` does. ``dataset_id`` reads its argument as such
a URI and decodes exactly once: ``s3://bucket/100%25/x`` names the key ``100%/x``, and so does
``s3://bucket/100%/x``, whose bare ``%`` starts no escape and is kept as it is. That makes
``dataset_id(dataset_id(x).uri) == dataset_id(x)`` for every name, ``%``, ``#``, ``?`` and
newlines included.

A location given to a hook is not such a URI: fsspec takes ``s3://bucket/100%25/x`` to mean the
key ``100%25/x``. The hooks name it through ``storage_path`` and ``location_uri``, which encode
that key, so the name is the key read. A local path without a scheme is taken as it is.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

#: fsspec protocol aliases, mapped to the scheme OpenLineage's naming spec uses.
_SCHEME_ALIASES = {"s3a": "s3", "s3n": "s3", "gcs": "gs"}


@dataclass(frozen=True)
class DatasetId:
    namespace: str
    name: str

    @property
    def uri(self) -> str:
        """A URI for people and ``dataSource.uri``: ``file:///path`` or ``s3://bucket/key``."""
        if self.namespace == "file":
            return f"file://{encode_path(self.name)}"
        return f"{self.namespace}/{encode_path(self.name.lstrip('/'))}"  # bucket root: name "/"

    @property
    def location(self) -> str:
        """The location a hook reads this dataset from: the real path, or the URL with the key.

        The way back from a URI (an Airflow asset's, an event's) to what hooks take: a local path
        as it is, or ``scheme://bucket/key`` with the key not encoded (see above). A key holding
        ``#`` or ``?`` cannot be given to a hook as a URL at all.
        """
        if self.namespace == "file":
            return self.name
        return f"{self.namespace}/{self.name.lstrip('/')}"


def encode_path(path: str) -> str:
    """Percent-encode a path or key for a URI, as ``Path.as_uri`` does; ``dataset_id`` undoes it.

    Undecodable file-name bytes (surrogate escapes) go in as the bytes they were, so even those
    names survive the round trip.
    """
    return quote(path, safe="/", errors="surrogateescape")


def decode_path(path: str) -> str:
    """The path or key a URI's percent-encoded path stands for: decoded exactly once."""
    return unquote(path, errors="surrogateescape")


#: Schemes whose ``container@account`` netloc is part of the name, not credentials.
_USERINFO_IS_NAME = {"abfs", "abfss", "wasb", "wasbs"}


def _strip_credentials(scheme: str, netloc: str) -> str:
    """Drop ``user:password@`` (and Airflow's ``conn_id@bucket``) from a netloc."""
    if scheme in _USERINFO_IS_NAME and ":" not in netloc.partition("@")[0]:
        return netloc
    return netloc.rpartition("@")[2]


def dataset_id(location: str | os.PathLike[str]) -> DatasetId:
    """Name the dataset at ``location``: a local path, or a percent-encoded URI (see above)."""
    text = os.fspath(location)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("", "file", "local") or len(scheme) == 1:  # one letter: a Windows drive
        path = decode_path(parts.path) if scheme in ("file", "local") else text
        return DatasetId("file", _clean_local(path))
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    netloc = _strip_credentials(scheme, parts.netloc)
    key = posixpath.normpath(decode_path(parts.path)).strip("/") if parts.path.strip("/") else ""
    return DatasetId(f"{scheme}://{netloc}", key or "/")


def _clean_local(path: str) -> str:
    cleaned = os.path.normpath(Path(path).expanduser().absolute())
    return cleaned.rstrip("/") or "/"


def child_uri(location: str, child: str) -> str:
    """Join a file name onto a folder location, keeping its scheme.

    ``child`` goes in as it is, so it must be a plain file name (no ``%``, ``#``, ``?`` or
    spaces), the same in a path and in a URI.
    """
    return location.rstrip("/") + "/" + child


#: The folder suffix LanceDB gives a table inside its database.
LANCE_SUFFIX = ".lance"


def lance_table_uri(database: str, table: str) -> str:
    """The location of a LanceDB table: the folder ``<table>.lance`` in the database's location.

    That is where Lance stores it, so the table is named like any stored dataset (namespace
    ``file`` or ``scheme://bucket``, name the path); its versions are the table's versions.
    """
    return child_uri(database, table + LANCE_SUFFIX)
