"""Resolve a sentence-transformers model (local folder or hub id), fingerprint it, load it.

Resolving and fingerprinting need no torch: the hook can say that a model is missing before a
process full of CUDA libraries starts. ``load_model`` imports sentence-transformers (and so
torch) inside the function, so DAG files parse without the ``[embedding]`` extra.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from llm_lineage.common.hub import hub_endpoint, looks_like_hub_id
from llm_lineage.common.progress import LogLike
from llm_lineage.common.versions import package_version
from llm_lineage.embedding.model import EmbeddingModelError, LoadedModel, ModelFiles

#: The files that define a model: configs, vocabularies, tokenizers and weights. A README or a
#: training log beside them changes no vector, so it changes no fingerprint.
DEFINING_SUFFIXES = (".json", ".safetensors", ".bin", ".txt", ".model", ".py")
#: The same files as name patterns: what is copied of a model folder in an object store.
DEFINING_PATTERNS = tuple(f"*{suffix}" for suffix in DEFINING_SUFFIXES)
MODULES_FILE = "modules.json"
_CHUNK = 8 * 1024 * 1024


def is_hub_id(spec: str) -> bool:
    """A hub id ("org/name") that is not also an existing local path."""
    return looks_like_hub_id(spec) and not Path(spec).expanduser().exists()


def model_location(spec: str) -> str:
    """The URI lineage names a model by, known before anything is downloaded or hashed."""
    if is_hub_id(spec):
        return f"{hub_endpoint()}/{spec}"
    return Path(spec).expanduser().absolute().as_uri()


def resolve_model(
    spec: str | os.PathLike[str], revision: str | None = None, token: str | None = None
) -> ModelFiles:
    """A local folder holding a sentence-transformers model, or a hub id at ``revision``.

    The token is used for private hub repositories and never appears in a message.
    """
    source = os.fspath(spec)
    path = Path(source).expanduser()
    if path.is_dir():
        return _fingerprint(source, path.absolute().as_uri(), path.absolute(), revision)
    if not is_hub_id(source):
        raise EmbeddingModelError(f"embedding model folder not found: {path.absolute()}")
    return _fingerprint(
        source, model_location(source), _download(source, revision, token), revision
    )


def resolve_local_copy(source: str, folder: str | os.PathLike[str]) -> ModelFiles:
    """A model copied from ``source`` (an object store's URI) into the local ``folder``.

    Lineage names it by ``source``; its fingerprint is the content's, the same as any other
    copy's.
    """
    return _fingerprint(source, source, Path(folder), None)


def _download(repo_id: str, revision: str | None, token: str | None) -> Path:
    at = f" at revision {revision!r}" if revision else ""
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(repo_id, revision=revision, token=token))
    except Exception as error:
        raise EmbeddingModelError(
            f"embedding model {repo_id!r}{at} is not a local folder, and downloading it from "
            f"the Hugging Face Hub failed: {type(error).__name__}: {error}"
        ) from error


def _defining_files(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        if path.suffix in DEFINING_SUFFIXES:
            found.append(path)
    return found


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fingerprint(source: str, location: str, folder: Path, revision: str | None) -> ModelFiles:
    files = _defining_files(folder)
    if not (folder / MODULES_FILE).is_file() and not (folder / "config.json").is_file():
        raise EmbeddingModelError(
            f"embedding model {source} has neither {MODULES_FILE} nor config.json in {folder}: "
            "not a sentence-transformers or transformers model folder"
        )
    if not any(p.suffix in (".safetensors", ".bin") for p in files):
        raise EmbeddingModelError(f"embedding model {source} has no weights in {folder}")
    listing = [[p.relative_to(folder).as_posix(), _sha256(p)] for p in files]
    fingerprint = hashlib.sha256(json.dumps(listing, sort_keys=True).encode()).hexdigest()
    return ModelFiles(
        source=source,
        location=location,
        path=str(folder),
        revision=revision,
        fingerprint=fingerprint,
        files=len(files),
        size_bytes=sum(p.stat().st_size for p in files),
    )


def load_model(files: ModelFiles, device: str | None, logger: LogLike) -> LoadedModel:
    """The ``SentenceTransformer`` in ``files.path``, offline, on ``device`` (None: automatic)."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        raise EmbeddingModelError(
            "embedding needs the sentence-transformers package: install "
            "airflow-provider-llm-lineage[embedding]"
        ) from error
    try:
        encoder = SentenceTransformer(files.path, device=device, local_files_only=True)
    except Exception as error:
        raise EmbeddingModelError(
            f"embedding model {files.source} did not load from {files.path}: "
            f"{type(error).__name__}: {error}"
        ) from error
    return _describe(files, encoder, logger)


def _describe(files: ModelFiles, encoder: Any, logger: LogLike) -> LoadedModel:
    tokenizer = encoder.tokenizer
    if not getattr(tokenizer, "is_fast", False):
        raise EmbeddingModelError(
            f"embedding model {files.source}: its tokenizer has no character offsets "
            "(a fast tokenizer, tokenizer.json, is needed to chunk by tokens)"
        )
    dimension = encoder.get_embedding_dimension()
    config = getattr(getattr(encoder[0], "auto_model", None), "config", None)
    loaded = LoadedModel(
        files=files,
        encoder=encoder,
        dimension=int(dimension),
        similarity=str(encoder.similarity_fn_name or "cosine"),
        max_seq_length=int(encoder.max_seq_length),
        special_tokens=int(tokenizer.num_special_tokens_to_add(False)),
        model_type=getattr(config, "model_type", None),
        device=str(encoder.device),
        library_version=package_version("sentence-transformers"),
    )
    logger.info(
        "Embedding model %s: dimension %d, max_seq_length %d, %s similarity, on %s",
        files.source,
        loaded.dimension,
        loaded.max_seq_length,
        loaded.similarity,
        loaded.device,
    )
    return loaded
