"""Tokenizer loading and identity (tokenization/loader.py), with tokenizers trained here."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
from pathlib import Path

import pytest
import tokenizers

from llm_lineage.tokenization import LoadedTokenizer, TokenizerLoadError, load_tokenizer
from tokenizers_fixtures import BPE_SPECIALS, WORDPIECE_SPECIALS, train_wordpiece


def test_bpe_from_file_and_from_directory_are_the_same_tokenizer(tokenizer_dir: Path) -> None:
    file = tokenizer_dir / "bpe" / "tokenizer.json"
    from_file = load_tokenizer(str(file))
    from_dir = load_tokenizer(str(file.parent))
    document = json.loads(file.read_bytes())
    vocabulary = set(document["model"]["vocab"]) | {t["content"] for t in document["added_tokens"]}

    assert from_file.sha256 == from_dir.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert from_file.source == str(file)
    assert from_dir.source == str(file.parent)
    assert from_file.revision is None
    assert from_file.model_type == "BPE"
    assert from_file.vocab_size == len(vocabulary) == 401  # 400 trained + riverbank
    assert from_file.special_tokens == BPE_SPECIALS
    assert from_file.normalizer == "NFC"
    assert from_file.pre_tokenizer == "ByteLevel"
    assert from_file.library_version == tokenizers.__version__
    assert from_file.model_max_length is None  # no tokenizer_config.json
    assert from_file.eos_token == "<|endoftext|>"
    assert from_file.eos_token_id == from_file.tokenizer.token_to_id("<|endoftext|>")


def test_wordpiece_metadata_and_config(wordpiece: LoadedTokenizer, tokenizer_dir: Path) -> None:
    file = tokenizer_dir / "wordpiece" / "tokenizer.json"
    assert wordpiece.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert wordpiece.model_type == "WordPiece"
    assert wordpiece.vocab_size == 300
    assert wordpiece.special_tokens == WORDPIECE_SPECIALS
    assert wordpiece.normalizer == "Sequence"
    assert wordpiece.pre_tokenizer == "BertPreTokenizer"
    assert wordpiece.model_max_length == 64
    assert wordpiece.eos_token == "[SEP]"


def test_config_eos_token_wins_and_the_no_limit_length_is_no_limit(
    tokenizer_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(tokenizer_dir / "bpe" / "tokenizer.json", tmp_path / "tokenizer.json")
    config = {
        "model_max_length": 1000000000000000019884624838656,  # transformers' "no limit"
        "eos_token": {"content": "<pad>", "special": True},  # AddedToken as transformers saves it
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))

    loaded = load_tokenizer(str(tmp_path))

    assert loaded.eos_token == "<pad>"
    assert loaded.model_max_length is None


def test_tokenizer_without_known_eos(tmp_path: Path) -> None:
    loaded = load_tokenizer(str(train_wordpiece(tmp_path, specials=("[UNK]", "[PAD]"))))
    assert loaded.eos_token is None
    assert loaded.eos_token_id is None


def test_load_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tokenizer.json"
    with pytest.raises(TokenizerLoadError, match=re.escape(f"not found: {missing}")):
        load_tokenizer(str(missing))

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TokenizerLoadError, match=re.escape(f"{empty} has no tokenizer.json")):
        load_tokenizer(str(empty))

    corrupt = tmp_path / "corrupt" / "tokenizer.json"
    corrupt.parent.mkdir()
    corrupt.write_text('{"model": {"type": "BPE", ')
    with pytest.raises(TokenizerLoadError, match=re.escape(f"{corrupt} is not valid JSON")):
        load_tokenizer(str(corrupt.parent))

    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    with pytest.raises(
        TokenizerLoadError, match=re.escape(f"{other} is not a Hugging Face tokenizers")
    ):
        load_tokenizer(str(other))


def test_corrupt_tokenizer_config_names_it(tokenizer_dir: Path, tmp_path: Path) -> None:
    shutil.copy(tokenizer_dir / "bpe" / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(TokenizerLoadError, match=r"tokenizer_config\.json is not valid JSON"):
        load_tokenizer(str(tmp_path))


def test_hub_id_offline_fails_naming_the_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    with pytest.raises(TokenizerLoadError) as caught:
        load_tokenizer("llm-lineage-tests/no-such-tokenizer", revision="main", token="hf_secret")

    message = str(caught.value)
    assert "'llm-lineage-tests/no-such-tokenizer' at revision 'main'" in message
    assert "Hugging Face Hub failed" in message
    assert "hf_secret" not in message


def test_hub_download_passes_revision_and_token(
    monkeypatch: pytest.MonkeyPatch, tokenizer_dir: Path
) -> None:
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError

    calls: list[tuple[str, str, str | None, str | None]] = []

    def fake_download(
        repo_id: str, filename: str, revision: str | None = None, token: str | None = None
    ) -> str:
        calls.append((repo_id, filename, revision, token))
        if filename == "tokenizer_config.json":
            raise EntryNotFoundError("no such file")
        return str(tokenizer_dir / "bpe" / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)

    loaded = load_tokenizer("org/name", revision="v1", token="hf_secret")

    assert calls == [
        ("org/name", "tokenizer.json", "v1", "hf_secret"),
        ("org/name", "tokenizer_config.json", "v1", "hf_secret"),
    ]
    assert (loaded.source, loaded.revision, loaded.model_type) == ("org/name", "v1", "BPE")
    assert loaded.model_max_length is None


def test_hub_id_without_huggingface_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(TokenizerLoadError, match=r"'org/name'.*needs the huggingface_hub package"):
        load_tokenizer("org/name")
