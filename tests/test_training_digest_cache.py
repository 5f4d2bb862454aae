"""Base-model fingerprints through the digest cache (training/digest_cache.py): the second run
on unchanged weights reads no weight bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest

from llm_lineage.training import base_model
from llm_lineage.training.base_model import resolve_base_model
from llm_lineage.training.digest_cache import ENVIRONMENT, cache_folder

WEIGHTS = b"\x00\x01weights" * 4096


@pytest.fixture
def model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENVIRONMENT, str(tmp_path / "cache"))
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"model_type": "gpt2"}))
    (folder / "model.safetensors").write_bytes(WEIGHTS)
    return folder


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the weight files whose bytes were read."""
    seen: list[str] = []
    original = base_model.file_digest

    def counting(path: Path, progress: Any = None) -> Any:
        seen.append(path.name)
        return original(path, progress)

    monkeypatch.setattr(base_model, "file_digest", counting)
    return seen


def test_the_second_fingerprint_of_unchanged_weights_reads_nothing(
    model: Path, reads: list[str]
) -> None:
    first = resolve_base_model(model)
    assert reads == ["model.safetensors"]
    second = resolve_base_model(model)
    assert reads == ["model.safetensors"]
    assert second.fingerprint == first.fingerprint
    assert second.weight_files[0].sha256 == hashlib.sha256(WEIGHTS).hexdigest()


def test_weights_changed_in_place_are_read_again_even_with_their_old_timestamps(
    model: Path, reads: list[str]
) -> None:
    first = resolve_base_model(model)
    weights = model / "model.safetensors"
    status = weights.stat()
    weights.write_bytes(WEIGHTS[::-1])  # same size
    os.utime(weights, ns=(status.st_atime_ns, status.st_mtime_ns))  # same modification time
    second = resolve_base_model(model)
    assert reads == ["model.safetensors"] * 2
    assert second.fingerprint != first.fingerprint
    assert second.weight_files[0].sha256 == hashlib.sha256(WEIGHTS[::-1]).hexdigest()


def test_a_hub_cache_blob_gives_its_sha256_by_name(tmp_path: Path, reads: list[str]) -> None:
    """Hugging Face's cache: snapshots/<rev>/file -> ../../blobs/<sha256 of the file>."""
    repository = tmp_path / "models--org--name"
    blobs = repository / "blobs"
    blobs.mkdir(parents=True)
    sha = hashlib.sha256(WEIGHTS).hexdigest()
    (blobs / sha).write_bytes(WEIGHTS)
    snapshot = repository / "snapshots" / "abc123"
    snapshot.mkdir(parents=True)
    (snapshot / "config.json").write_text("{}")
    (snapshot / "model.safetensors").symlink_to(Path("../../blobs") / sha)
    info = resolve_base_model(snapshot)
    assert reads == []
    assert info.weight_files[0].sha256 == sha


def test_a_damaged_cache_entry_or_cache_off_means_reading_again(
    model: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = resolve_base_model(model)
    folder = cache_folder()
    assert folder is not None
    for entry in folder.glob("*.json"):
        entry.write_text("{not json")
    assert resolve_base_model(model).fingerprint == first.fingerprint
    monkeypatch.setenv(ENVIRONMENT, "off")
    assert cache_folder() is None
    resolve_base_model(model)
    assert reads == ["model.safetensors"] * 3


def test_an_unwritable_cache_is_skipped(
    model: Path, reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = model.parent / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(ENVIRONMENT, str(blocker / "cache"))
    assert resolve_base_model(model).fingerprint == resolve_base_model(model).fingerprint
    assert reads == ["model.safetensors"] * 2
