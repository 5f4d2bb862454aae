"""Base models and tokenizers from object storage: downloaded once per worker, kept by content.

A model folder in an object store (``s3://bucket/models/name``: ``config.json``, weights,
tokenizer files) is copied to the worker's disk, where transformers and tokenizers read it. The
copy goes into the provider's cache folder (``LLM_LINEAGE_CACHE_DIR``, see
``training/digest_cache.py``) under ``models/<content digest>``: the sha256 of every file's
name and sha256, computed while downloading. Each file's sha256 also goes into the weight
digest cache, so fingerprinting the copy reads nothing again.

The next task on that worker lists the folder (a listing request, no object read) and finds its
copy through an index keyed by that listing: the folder's URI and every file's name, size and
ETag (the store's version of the object). An object written again gets a new ETag, so a changed
model is downloaded again; from a store that reports no ETag it is downloaded every time. With
the cache off (``LLM_LINEAGE_CACHE_DIR=off``) each call downloads into a temporary folder that
is removed when the process exits.
"""

from __future__ import annotations

import atexit
import contextlib
import fnmatch
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.hooks.storage import location_uri
from llm_lineage.training.digest_cache import cache_root, file_identity, remember

log = logging.getLogger(__name__)

#: The files of a model folder that are downloaded: configs, weights, tokenizer files. Subfolders
#: (e.g. ``original/`` with a second copy of the weights) are not.
MODEL_FILES = ("*.json", "*.safetensors", "pytorch_model*.bin", "tokenizer.model", "*.txt")
#: What the listing says about an object's version, by store (S3, GCS, others).
_VERSION_KEYS = ("ETag", "etag", "md5Hash", "generation", "version_id", "VersionId")
_CHUNK = 8 * 1024 * 1024


class ModelStoreError(LlmLineageError, OSError):
    """A model folder in an object store cannot be copied: missing, empty, or cut short."""


def local_model_copy(
    folder: ObjectStoragePath,
    patterns: Sequence[str] = MODEL_FILES,
    logger: LogLike = log,
    *,
    subfolders: bool = False,
    prefer_safetensors: bool = True,
) -> Path:
    """The local folder holding the files of ``folder`` whose names match ``patterns``.

    Downloads them unless this worker's cache has a copy of exactly this listing. When the
    folder has ``*.safetensors`` weights and ``prefer_safetensors`` is set,
    ``pytorch_model*.bin`` files are left out (as the hub download does). With ``subfolders``
    the files of its subfolders (e.g. a sentence-transformers model's ``1_Pooling/``) come too,
    under their relative paths; names with a part starting with ``.`` never do.
    """
    uri = location_uri(folder)
    files = _listing(folder, patterns, subfolders, prefer_safetensors)
    if not files:
        raise ModelStoreError(
            f"{uri} holds no files to load ({', '.join(patterns)}); is it a model folder?"
        )
    root = cache_root()
    if root is None:
        target = Path(tempfile.mkdtemp(prefix="llm-lineage-model-"))
        atexit.register(shutil.rmtree, target, True)
        _download(folder.fs, uri, files, target, logger)
        return target
    key = _listing_key(uri, files)
    known = _known(root, key, files)
    if known is not None:
        logger.info("Using the copy of %s in %s (no object read)", uri, known)
        return known
    return _cached_download(folder.fs, uri, files, root, key, logger)


def _listing(
    folder: ObjectStoragePath, patterns: Sequence[str], subfolders: bool, prefer_safetensors: bool
) -> dict[str, dict[str, Any]]:
    """The folder's files that match ``patterns`` (by base name), by path relative to it."""
    folder.fs.invalidate_cache(folder.path)  # a listing fsspec kept may predate a new upload
    try:
        entries = _entries(folder, subfolders)
    except FileNotFoundError:
        return {}
    prefix = str(folder.path).rstrip("/") + "/"
    relative = (str(e["name"]).rstrip("/").removeprefix(prefix) for e in entries)
    files = {
        name if subfolders else name.rsplit("/", 1)[-1]: entry
        for name, entry in zip(relative, entries, strict=True)
        if entry.get("type") == "file"
    }
    wanted = {
        name: entry
        for name, entry in files.items()
        if not any(part.startswith(".") for part in name.split("/"))
        and any(fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], pattern) for pattern in patterns)
    }
    if prefer_safetensors and any(name.endswith(".safetensors") for name in wanted):
        wanted = {n: e for n, e in wanted.items() if not fnmatch.fnmatchcase(n, "pytorch_model*")}
    return dict(sorted(wanted.items()))


def _entries(folder: ObjectStoragePath, subfolders: bool) -> list[dict[str, Any]]:
    if subfolders:
        found = folder.fs.find(folder.path, detail=True)
        return [{**entry, "name": name} for name, entry in found.items()]
    return list(folder.fs.ls(folder.path, detail=True))


def _version(entry: dict[str, Any]) -> str | None:
    for key in _VERSION_KEYS:
        if entry.get(key) not in (None, ""):
            return str(entry[key])
    return None


def _listing_key(uri: str, files: dict[str, dict[str, Any]]) -> str | None:
    """What identifies this listing; None when the store gives some file no version."""
    versions = {name: _version(entry) for name, entry in files.items()}
    if None in versions.values():
        return None
    listing = [[name, int(files[name].get("size") or 0), versions[name]] for name in files]
    return hashlib.sha256(json.dumps([uri, listing]).encode()).hexdigest()


def _known(root: Path, key: str | None, files: dict[str, dict[str, Any]]) -> Path | None:
    """The cached copy the index names for ``key``, if it is still whole."""
    if key is None:
        return None
    with contextlib.suppress(OSError, ValueError):
        digest = json.loads((root / "model-index" / f"{key}.json").read_text())["digest"]
        folder = root / "models" / str(digest)
        if _intact(folder, files):
            return folder
    return None


def _intact(folder: Path, files: dict[str, dict[str, Any]]) -> bool:
    try:
        return all(
            (folder / name).stat().st_size == int(entry.get("size") or 0)
            for name, entry in files.items()
        )
    except OSError:
        return False


def _cached_download(
    fs: Any, uri: str, files: dict[str, dict[str, Any]], root: Path, key: str | None, log: LogLike
) -> Path:
    """Download into the cache, under the content digest; record the listing in the index."""
    models = root / "models"
    models.mkdir(parents=True, exist_ok=True, mode=0o700)
    staging = Path(tempfile.mkdtemp(prefix=".download-", dir=models))
    try:
        digests = _download(fs, uri, files, staging, log)
        digest = hashlib.sha256(json.dumps(sorted(digests.items())).encode()).hexdigest()
        folder = models / digest
        if not _intact(folder, files):
            shutil.rmtree(folder, ignore_errors=True)  # a broken copy, or none
            with contextlib.suppress(OSError):  # another task put it there first: keep theirs
                staging.rename(folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    for name, sha256 in digests.items():  # fingerprinting the copy reads nothing again
        remember(folder / name, sha256, file_identity(folder / name))
    if key is not None:
        _write_index(root / "model-index", key, digest)
    return folder


def _write_index(index: Path, key: str, digest: str) -> None:
    with contextlib.suppress(OSError):
        index.mkdir(parents=True, exist_ok=True, mode=0o700)
        entry = index / f"{key}.json"
        temporary = entry.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"digest": digest}))
        temporary.replace(entry)


def _download(
    fs: Any, uri: str, files: dict[str, dict[str, Any]], target: Path, logger: LogLike
) -> dict[str, str]:
    """Each file into ``target``, hashed on the way; their sha256 by name."""
    total_mib = sum(int(entry.get("size") or 0) for entry in files.values()) // (1024 * 1024)
    progress = ProgressReporter(f"Downloading {uri}", total_mib, "MiB", logger)
    digests = {}
    for name, entry in files.items():
        digest = hashlib.sha256()
        written = 0
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        with fs.open(entry["name"], "rb") as remote, (target / name).open("wb") as local:
            while chunk := remote.read(_CHUNK):
                digest.update(chunk)
                local.write(chunk)
                written += len(chunk)
                progress.advance(len(chunk) // (1024 * 1024))
        if written != int(entry.get("size") or 0):
            raise ModelStoreError(
                f"{uri}/{name}: read {written} bytes, the listing says {entry.get('size')}"
            )
        digests[name] = digest.hexdigest()
    logger.info("Downloaded %d files of %s (%d MiB)", len(files), uri, total_mib)
    return digests
