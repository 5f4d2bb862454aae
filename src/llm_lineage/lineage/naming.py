"""Dataset namespace and name from a path or URL, by OpenLineage's naming rules.

Local files: namespace ``file``, name the absolute path. Object stores: namespace
``scheme://bucket``, name the key. Credentials, query strings and fragments never enter a name,
and trailing slashes are dropped, so one step's output is the next step's input exactly.
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

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
            return f"file://{self.name}"
        return f"{self.namespace}/{self.name.lstrip('/')}"  # bucket root: name is "/"


#: Schemes whose ``container@account`` netloc is part of the name, not credentials.
_USERINFO_IS_NAME = {"abfs", "abfss", "wasb", "wasbs"}


def _strip_credentials(scheme: str, netloc: str) -> str:
    """Drop ``user:password@`` (and Airflow's ``conn_id@bucket``) from a netloc."""
    if scheme in _USERINFO_IS_NAME and ":" not in netloc.partition("@")[0]:
        return netloc
    return netloc.rpartition("@")[2]


def dataset_id(location: str | os.PathLike[str]) -> DatasetId:
    """Name the dataset at ``location`` (a local path, ``file://`` URI, or object-store URL)."""
    text = os.fspath(location)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme in ("", "file", "local") or len(scheme) == 1:  # one letter: a Windows drive
        path = unquote(parts.path) if scheme in ("file", "local") else text
        return DatasetId("file", _clean_local(path))
    scheme = _SCHEME_ALIASES.get(scheme, scheme)
    netloc = _strip_credentials(scheme, parts.netloc)
    key = posixpath.normpath(unquote(parts.path)).strip("/") if parts.path.strip("/") else ""
    return DatasetId(f"{scheme}://{netloc}", key or "/")


def _clean_local(path: str) -> str:
    cleaned = os.path.normpath(Path(path).expanduser().absolute())
    return cleaned.rstrip("/") or "/"


def child_uri(location: str, child: str) -> str:
    """Join a file name onto a folder location, keeping its scheme."""
    return location.rstrip("/") + "/" + child
