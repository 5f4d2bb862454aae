"""Resolve a base model (local folder or hub id) to a local folder and fingerprint its weights.

No torch here: resolving only downloads and hashes files, so the hook can tell a user that a
model is missing or has no weights before paying for a process full of CUDA libraries.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.hub import hub_endpoint, looks_like_hub_id
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.training.digest_cache import (
    cached_sha256,
    file_identity,
    hub_blob_sha256,
    remember,
)
from llm_lineage.training.model import BaseModelInfo, FileDigest

CONFIG_FILE = "config.json"
SAFETENSORS_PATTERNS = ("*.safetensors",)
PYTORCH_PATTERNS = ("pytorch_model*.bin",)
_CHUNK = 8 * 1024 * 1024


class BaseModelError(LlmLineageError, ValueError):
    """The base model cannot be resolved; the message names the folder or hub id and says why."""


def is_hub_id(spec: str) -> bool:
    """A hub id ("org/name") that is not also an existing local path."""
    return looks_like_hub_id(spec) and not Path(spec).expanduser().exists()


def base_model_location(spec: str) -> str:
    """The URI lineage names a base model by, known before anything is downloaded or hashed.

    A URL (an object store's, ``s3://bucket/models/name``) names itself.
    """
    if "://" in spec:
        return spec
    if is_hub_id(spec):
        return f"{hub_endpoint()}/{spec}"
    return Path(spec).expanduser().absolute().as_uri()


def resolve_base_model(
    spec: str | os.PathLike[str],
    revision: str | None = None,
    token: str | None = None,
    logger: LogLike | None = None,
) -> BaseModelInfo:
    """A local folder (config.json plus weights) or a hub id ("org/name") at ``revision``.

    The token is used for private hub repositories and never appears in a message.
    """
    source = os.fspath(spec)
    path = Path(source).expanduser()
    if path.is_dir():
        folder = path.absolute()
        return _fingerprint(source, folder.as_uri(), folder, revision, None, logger)
    if not is_hub_id(source):
        raise BaseModelError(f"base model folder not found: {path.absolute()}")
    folder = _download(source, revision, token)
    return _fingerprint(
        source, base_model_location(source), folder, revision, folder.name or None, logger
    )


def resolve_local_copy(
    source: str, folder: str | os.PathLike[str], logger: LogLike | None = None
) -> BaseModelInfo:
    """A model copied from ``source`` (an object store's URI) into the local ``folder``.

    Lineage names it by ``source``; its fingerprint is the content's, the same as any other
    copy's.
    """
    return _fingerprint(source, source, Path(folder), None, None, logger)


def _download(repo_id: str, revision: str | None, token: str | None) -> Path:
    """Snapshot of config and weights (safetensors, else PyTorch bins): its local folder."""
    at = f" at revision {revision!r}" if revision else ""
    try:
        from huggingface_hub import snapshot_download
    except ImportError as error:  # pragma: no cover - a dependency of tokenizers
        raise BaseModelError(
            f"base model {repo_id!r} is not a local folder, and loading it from the Hugging Face "
            "Hub needs the huggingface_hub package"
        ) from error
    try:
        folder = Path(
            snapshot_download(
                repo_id,
                revision=revision,
                token=token,
                allow_patterns=["*.json", *SAFETENSORS_PATTERNS],
            )
        )
        if not _weights(folder):
            folder = Path(
                snapshot_download(
                    repo_id, revision=revision, token=token, allow_patterns=list(PYTORCH_PATTERNS)
                )
            )
    except Exception as error:
        raise BaseModelError(
            f"base model {repo_id!r}{at} is not a local folder, and downloading it from the "
            f"Hugging Face Hub failed: {type(error).__name__}: {error}"
        ) from error
    return folder


def _weights(folder: Path) -> list[Path]:
    for patterns in (SAFETENSORS_PATTERNS, PYTORCH_PATTERNS):
        found = sorted(p for pattern in patterns for p in folder.glob(pattern) if p.is_file())
        if found:
            return found
    return []


def file_digest(path: Path, progress: ProgressReporter | None = None) -> FileDigest:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            if progress is not None:
                progress.advance(len(chunk) // (1024 * 1024))
    return FileDigest(path.name, path.stat().st_size, digest.hexdigest())


def weight_digest(path: Path, progress: ProgressReporter | None = None) -> tuple[FileDigest, bool]:
    """A weight file's digest, and whether its bytes had to be read for it.

    The hub's own sha256 (the blob a Hugging Face cache links to) or a digest cached for this
    exact file state is used as is; otherwise the file is read once and the digest cached.
    """
    size = path.stat().st_size
    known = hub_blob_sha256(path) or cached_sha256(path)
    if known is not None:
        if progress is not None:
            progress.advance(size // (1024 * 1024))
        return FileDigest(path.name, size, known), False
    identity = file_identity(path)
    digest = file_digest(path, progress)
    remember(path, digest.sha256, identity)
    return digest, True


def _read_config(source: str, folder: Path) -> tuple[bytes, dict[str, Any]]:
    """The base model's config.json, as bytes (to hash) and as the object they hold."""
    config_file = folder / CONFIG_FILE
    if not config_file.is_file():
        raise BaseModelError(f"base model {source} has no {CONFIG_FILE} in {folder}")
    raw = config_file.read_bytes()
    try:
        config = json.loads(raw)
    except ValueError as error:
        raise BaseModelError(
            f"base model {source}: {config_file} is not valid JSON: {error}"
        ) from None
    if not isinstance(config, dict):
        raise BaseModelError(
            f"base model {source}: {config_file} is not valid JSON: not a JSON object"
        )
    return raw, config


def _weight_digests(source: str, folder: Path, logger: LogLike | None) -> tuple[FileDigest, ...]:
    """Every weight file's digest, with progress over the MiB hashed and a line on what was read."""
    weights = _weights(folder)
    if not weights:
        raise BaseModelError(
            f"base model {source} has no weights in {folder} (model*.safetensors or "
            "pytorch_model*.bin)"
        )
    total_mib = sum(p.stat().st_size for p in weights) // (1024 * 1024)
    progress = ProgressReporter(f"Hashing {source}", total_mib, "MiB", logger)
    digested = [weight_digest(p, progress) for p in weights]
    digests = tuple(digest for digest, _ in digested)
    read = sum(digest.size_bytes for digest, was_read in digested if was_read)
    if logger is not None:
        logger.info(
            "Base model %s: %d weight files, %d MiB read to fingerprint them (%d reused from the "
            "digest cache or the hub)",
            source,
            len(digests),
            read // (1024 * 1024),
            sum(1 for _, was_read in digested if not was_read),
        )
    return digests


def _fingerprint(
    source: str,
    location: str,
    folder: Path,
    revision: str | None,
    resolved: str | None,
    logger: LogLike | None,
) -> BaseModelInfo:
    raw, config = _read_config(source, folder)
    digests = _weight_digests(source, folder, logger)
    config_sha = hashlib.sha256(raw).hexdigest()
    fingerprint = hashlib.sha256(
        json.dumps(
            {"config": config_sha, "weights": [[d.name, d.sha256] for d in digests]},
            sort_keys=True,
        ).encode()
    ).hexdigest()
    architectures = config.get("architectures") or ()
    name_or_path = config.get("_name_or_path")
    return BaseModelInfo(
        source=source,
        location=location,
        path=str(folder),
        revision=revision,
        resolved_revision=resolved,
        model_type=config.get("model_type"),
        architectures=tuple(str(a) for a in architectures),
        config_sha256=config_sha,
        weight_files=digests,
        fingerprint=fingerprint,
        name_or_path=name_or_path if isinstance(name_or_path, str) else None,
    )
