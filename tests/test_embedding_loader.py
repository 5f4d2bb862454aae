"""Resolving and fingerprinting an embedding model folder (no torch): what changes the
fingerprint, what does not, and the errors that name the folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_lineage.embedding import EmbeddingModelError, model_location, resolve_model


@pytest.fixture
def copy(minilm: Path, tmp_path: Path) -> Path:
    target = tmp_path / "model copy"
    shutil.copytree(minilm, target)
    return target


def test_a_copy_has_the_same_fingerprint_and_a_readme_changes_nothing(minilm: Path, copy: Path):
    original = resolve_model(minilm)
    (copy / "README.md").write_text("notes")
    (copy / ".cache").mkdir()
    (copy / ".cache" / "x.json").write_text("{}")
    copied = resolve_model(copy)
    assert copied.fingerprint == original.fingerprint
    assert len(original.fingerprint) == 64
    assert copied.location == copy.absolute().as_uri()
    assert original.files == 9


@pytest.mark.parametrize(
    "change",
    [
        lambda folder: (folder / "1_Pooling" / "config.json").write_text(
            '{"pooling_mode_cls_token": true}'
        ),
        lambda folder: (folder / "model.safetensors").open("r+b").write(b"\x00"),
        lambda folder: (folder / "tokenizer.json").write_text("{}"),
    ],
)
def test_config_weights_or_tokenizer_change_the_fingerprint(minilm: Path, copy: Path, change):
    change(copy)
    assert resolve_model(copy).fingerprint != resolve_model(minilm).fingerprint


def test_missing_folder_and_folder_without_weights(tmp_path: Path) -> None:
    with pytest.raises(EmbeddingModelError, match="folder not found"):
        resolve_model(tmp_path / "nope" / "model")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "modules.json").write_text("[]")
    with pytest.raises(EmbeddingModelError, match="has no weights"):
        resolve_model(tmp_path / "empty")
    (tmp_path / "not a model").mkdir()
    with pytest.raises(EmbeddingModelError, match=r"neither modules\.json nor config\.json"):
        resolve_model(tmp_path / "not a model")


def test_hub_ids_are_named_under_the_hub(tmp_path: Path) -> None:
    assert model_location("sentence-transformers/all-MiniLM-L6-v2").endswith(
        "/sentence-transformers/all-MiniLM-L6-v2"
    )
    assert model_location(str(tmp_path)) == tmp_path.as_uri()
