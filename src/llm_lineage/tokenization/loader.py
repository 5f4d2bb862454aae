"""Load a Hugging Face ``tokenizers`` tokenizer and the identity facts that lineage records.

Lineage needs to say *which* tokenizer turned the text into ids: the sha256 of its
``tokenizer.json`` names it exactly whatever path or hub id it came from, and the model type,
vocabulary, special tokens, normalizer and pre-tokenizer say what it does to the text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tokenizers
from tokenizers import Tokenizer

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.common.hub import looks_like_hub_id

log = logging.getLogger(__name__)

TOKENIZER_FILE = "tokenizer.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"

#: End-of-text tokens of the common model families, tried in order when no config names one.
EOS_CANDIDATES: tuple[str, ...] = ("</s>", "<|endoftext|>", "[SEP]", "<eos>")

#: transformers writes int(1e30) as model_max_length when a model has no limit: not a limit.
_NO_LIMIT = 10**18


class TokenizerLoadError(LlmLineageError, ValueError):
    """The tokenizer cannot be loaded; the message names the file or hub id and says why."""


@dataclass(frozen=True)
class LoadedTokenizer:
    """A ready tokenizer with what identifies it (for lineage) and its limits (for validation)."""

    tokenizer: Tokenizer = field(repr=False, compare=False)
    source: str
    revision: str | None
    sha256: str
    model_type: str
    vocab_size: int
    special_tokens: tuple[str, ...]
    normalizer: str | None
    pre_tokenizer: str | None
    library_version: str
    model_max_length: int | None = None
    eos_token: str | None = None

    @property
    def eos_token_id(self) -> int | None:
        """Id of the end-of-text token, None when the tokenizer has none."""
        if self.eos_token is None:
            return None
        return self.tokenizer.token_to_id(self.eos_token)


def load_tokenizer(
    spec: str | os.PathLike[str], revision: str | None = None, token: str | None = None
) -> LoadedTokenizer:
    """Load from a ``tokenizer.json`` file, a directory holding one, or a hub id ("org/name").

    ``revision`` and ``token`` apply to hub ids only; the token never appears in messages.
    """
    source = os.fspath(spec)
    path = Path(source).expanduser()
    if path.is_dir():
        file = path / TOKENIZER_FILE
        if not file.is_file():
            raise TokenizerLoadError(f"tokenizer directory {path} has no {TOKENIZER_FILE}")
        return _from_files(file, path / TOKENIZER_CONFIG_FILE, source, revision)
    if path.is_file():
        return _from_files(path, path.with_name(TOKENIZER_CONFIG_FILE), source, revision)
    if source.endswith(".json") or not looks_like_hub_id(source):
        raise TokenizerLoadError(f"tokenizer file not found: {path}")
    return _from_hub(source, revision, token)


def _from_hub(repo_id: str, revision: str | None, token: str | None) -> LoadedTokenizer:
    at = f" at revision {revision!r}" if revision else ""
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:
        raise TokenizerLoadError(
            f"tokenizer {repo_id!r} is not a local file or directory, and loading it from the "
            "Hugging Face Hub needs the huggingface_hub package (pip install huggingface_hub)"
        ) from error
    try:
        file = hf_hub_download(repo_id, TOKENIZER_FILE, revision=revision, token=token)
    except Exception as error:
        raise TokenizerLoadError(
            f"tokenizer {repo_id!r}{at} is not a local file or directory, and downloading its "
            f"{TOKENIZER_FILE} from the Hugging Face Hub failed: {type(error).__name__}: {error}"
        ) from error
    config = _hub_config(repo_id, revision, token)
    return _from_files(Path(str(file)), config, repo_id, revision)


def _hub_config(repo_id: str, revision: str | None, token: str | None) -> Path | None:
    """The optional tokenizer_config.json: many repos have none, which is not an error."""
    from huggingface_hub import hf_hub_download

    try:
        from huggingface_hub.errors import EntryNotFoundError
    except ImportError:  # huggingface_hub < 0.20
        from huggingface_hub.utils import EntryNotFoundError

    try:
        return Path(
            str(hf_hub_download(repo_id, TOKENIZER_CONFIG_FILE, revision=revision, token=token))
        )
    except EntryNotFoundError:
        return None
    except Exception as error:
        log.warning(
            "Cannot download %s of %s (%s: %s); model_max_length and eos_token stay unknown",
            TOKENIZER_CONFIG_FILE,
            repo_id,
            type(error).__name__,
            error,
        )
        return None


def _read_json(path: Path, what: str) -> tuple[bytes, Any]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise TokenizerLoadError(f"cannot read {what} {path}: {error}") from error
    try:
        return data, json.loads(data)
    except ValueError as error:
        raise TokenizerLoadError(f"{what} {path} is not valid JSON: {error}") from error


def _from_files(
    file: Path, config_file: Path | None, source: str, revision: str | None
) -> LoadedTokenizer:
    data, document = _read_json(file, "tokenizer file")
    try:
        tokenizer = Tokenizer.from_str(data.decode("utf-8"))
    except Exception as error:  # the Rust side raises plain Exception for any bad content
        raise TokenizerLoadError(
            f"tokenizer file {file} is not a Hugging Face tokenizers tokenizer.json: {error}"
        ) from error
    config: dict[str, Any] = {}
    if config_file is not None and config_file.is_file():
        _, loaded = _read_json(config_file, "tokenizer config")
        config = loaded if isinstance(loaded, dict) else {}
    added = sorted(document.get("added_tokens") or [], key=lambda entry: entry.get("id", 0))
    special_tokens = tuple(entry["content"] for entry in added if entry.get("special"))
    return LoadedTokenizer(
        tokenizer=tokenizer,
        source=source,
        revision=revision,
        sha256=hashlib.sha256(data).hexdigest(),
        model_type=type(tokenizer.model).__name__,
        vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
        special_tokens=special_tokens,
        normalizer=_component_type(document.get("normalizer")),
        pre_tokenizer=_component_type(document.get("pre_tokenizer")),
        library_version=tokenizers.__version__,
        model_max_length=_max_length(config.get("model_max_length")),
        eos_token=_eos_token(config.get("eos_token"), tokenizer),
    )


def _component_type(component: Any) -> str | None:
    if isinstance(component, dict) and isinstance(component.get("type"), str):
        return str(component["type"])
    return None


def _max_length(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if value <= 0 or value >= _NO_LIMIT:
        return None
    return int(value)


def _eos_token(configured: Any, tokenizer: Tokenizer) -> str | None:
    if isinstance(configured, dict):  # transformers serializes AddedToken as a dict
        configured = configured.get("content")
    if isinstance(configured, str) and configured:
        return configured
    for candidate in EOS_CANDIDATES:
        if tokenizer.token_to_id(candidate) is not None:
            return candidate
    return None
