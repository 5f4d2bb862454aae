"""The one file lock and atomic fsynced write (``common/durable.py``) on a real file system."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from llm_lineage.common import durable


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_write_replaces_the_whole_file_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "metadata.json"
    target.write_text("old")
    target.chmod(0o644)
    durable.atomic_write(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    assert _mode(target) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["metadata.json"]


def test_a_failed_atomic_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "metadata.json"
    target.write_text("old")

    def full_disk(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(durable.os, "fsync", full_disk)
    with pytest.raises(OSError, match="No space left"):
        durable.atomic_write(target, b"new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["metadata.json"]


def test_write_synced_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "lock"
    assert durable.write_synced(target, b"first", mode=0o644).st_size == 5
    with pytest.raises(FileExistsError):
        durable.write_synced(target, b"second")
    assert target.read_bytes() == b"first"


def test_the_lock_is_exclusive_until_released(tmp_path: Path) -> None:
    path = tmp_path / "forward.lock"
    with durable.locked(path):
        assert durable.try_lock(path) is None  # another open file: refused while held
        assert _mode(path) == 0o600
    held = durable.try_lock(path)
    assert held is not None
    try:
        assert durable.try_lock(path) is None
    finally:
        os.close(held)


def test_an_existing_lock_file_is_tightened_to_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "usage"
    path.write_bytes(b"")
    path.chmod(0o666)
    with durable.locked(path):
        pass
    assert _mode(path) == 0o600
