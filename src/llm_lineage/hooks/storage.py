"""ObjectStoragePath helpers shared by the hooks: resolving locations and atomic publishing.

Reads go through the filesystem (``path.fs``) rather than ``ObjectStoragePath.open`` on
purpose: ``open`` reports every file to the hook lineage collector, and a corpus of 10,000
documents should be one input dataset, not 10,000.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from airflow.sdk import ObjectStoragePath

STAGING_PREFIX = ".llm-lineage-staging-"


def storage_path(location: str | os.PathLike[str], conn_id: str | None = None) -> ObjectStoragePath:
    """An ObjectStoragePath for a local path or URL; local paths become absolute ``file://``."""
    text = os.fspath(location)
    if "://" not in text:
        text = Path(text).expanduser().absolute().as_uri()
    return ObjectStoragePath(text, conn_id=conn_id)


def location_uri(path: ObjectStoragePath) -> str:
    """The URI that lineage names: ``file:///abs/path`` or ``s3://bucket/key``, no conn id."""
    if path.protocol in ("file", "local", ""):
        return Path(path.path).as_uri()
    return f"{path.protocol}://{path.bucket}/{path.key}".rstrip("/")


def file_uri(root: ObjectStoragePath, path: str) -> str:
    """URI of a file that ``root.fs`` listed (fsspec lists paths without their protocol)."""
    return Path(path).as_uri() if is_local(root) else f"{root.protocol}://{path}"


def is_local(path: ObjectStoragePath) -> bool:
    return path.protocol in ("file", "local", "")


@contextmanager
def staging_dir(destination: ObjectStoragePath) -> Iterator[Path]:
    """A private local folder to write into; removed afterwards, whatever happens.

    For a local destination it sits inside the destination, so publishing is a rename on one
    file system; its dot-name keeps it out of any corpus listing.
    """
    if is_local(destination):
        Path(destination.path).mkdir(parents=True, exist_ok=True)
        folder = Path(destination.path) / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        folder.mkdir()
    else:
        folder = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def publish(staged: Path, destination: ObjectStoragePath) -> bool:
    """Move a finished file into ``destination``; return True when it replaced an existing one.

    Local: ``os.replace`` (atomic). Object stores: one upload, which the store makes visible
    only when complete.
    """
    target = destination / staged.name
    existed = bool(target.exists())
    if is_local(destination):
        staged.replace(target.path)
    else:
        destination.fs.makedirs(destination.path, exist_ok=True)
        destination.fs.put_file(str(staged), target.path)
    return existed
