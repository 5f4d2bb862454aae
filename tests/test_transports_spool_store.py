"""The spool on disk: a size counter instead of scans, disk blocks, private files and folders."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.serde import Serde

from lineage_servers import FakeMarquez
from llm_lineage.transports.forwarder import forward
from llm_lineage.transports.spool_store import Spool
from spool_fixtures import make_event, run_pairs, spool_transport


def folder_bytes(folder: Path) -> int:
    return sum(path.lstat().st_blocks * 512 for path in folder.iterdir())


def _spool_name(number: int) -> str:
    return f"{number:020d}-0000001-{number:06d}.json"


def test_emit_reads_a_counter_and_never_scans_the_backlog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two scans of ``pending/`` per emit made it 540 ms at 100k events; now none."""
    transport = spool_transport(tmp_path / "spool", "http://127.0.0.1:9")
    transport.emit(make_event("t", "START"))
    pending = tmp_path / "spool" / "pending"
    body = Serde.to_json(make_event("t", "COMPLETE"))
    for number in range(2000):
        (pending / _spool_name(number + 1)).write_text(body)
    scans: list[str] = []
    real_scandir = os.scandir

    def counted(path: Any = ".") -> Any:
        scans.append(str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", counted)
    for _ in range(20):
        transport.emit(make_event("t", "START"))
    assert scans == []
    monkeypatch.undo()
    # The counter did not see the 2,000 files written behind its back; a recount does.
    spool = Spool(tmp_path / "spool", 1 << 30)
    assert spool.size() == 21 * 4096
    spool.usage.recount()
    assert spool.size() == folder_bytes(pending) >= 2021 * 4096


def test_the_counter_heals_a_stale_or_broken_record(tmp_path: Path) -> None:
    one = _one_event(tmp_path / "probe").stat().st_blocks * 512
    transport = spool_transport(tmp_path / "spool", "http://127.0.0.1:9", max_bytes=3 * one)
    for _ in range(3):
        transport.emit(make_event("t", "START"))
    assert len(transport.spool.waiting()) == 3
    transport.emit(make_event("t", "START"))  # full: refused
    assert transport.spool.status().lost == 1
    for path in transport.spool.waiting()[:2]:
        path.unlink()  # removed by hand: the counter still says full ...
    usage = tmp_path / "spool" / "usage"
    total = usage.read_text().split()[0]
    transport.emit(make_event("t", "START"))
    assert transport.spool.status().lost == 2  # ... while its count is recent,
    usage.write_text(f"{total} 0")  # and recounts before refusing once it is old.
    transport.emit(make_event("t", "START"))
    assert len(transport.spool.waiting()) == 2 and transport.spool.status().lost == 2
    usage.write_text("garbage")  # unreadable: recounted
    transport.emit(make_event("t", "START"))
    assert len(transport.spool.waiting()) == 3
    assert int(usage.read_text().split()[0]) == 3 * one


def _one_event(directory: Path) -> Path:
    transport = spool_transport(directory, "http://127.0.0.1:9")
    transport.emit(make_event("t", "START"))
    return transport.spool.waiting()[0]


def test_a_failed_write_leaves_nothing_in_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = Spool(tmp_path / "spool", 1 << 30)
    spool.write(b"{}")

    def full(descriptor: int, data: Any) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(OSError, match="No space left"):
        spool.write(Serde.to_json(make_event("t", "START")).encode())
    monkeypatch.undo()
    assert list(spool.tmp.iterdir()) == []
    assert len(spool.waiting()) == 1
    assert spool.size() == folder_bytes(spool.pending)


def _modes(root: Path) -> dict[str, str]:
    return {
        str(path.relative_to(root.parent)): oct(stat.S_IMODE(path.lstat().st_mode))
        for path in [root, *root.rglob("*")]
    }


def test_every_file_is_0600_and_every_folder_0700_even_when_they_existed(
    tmp_path: Path, backend: FakeMarquez
) -> None:
    directory = tmp_path / "spool"
    directory.mkdir(mode=0o777)
    directory.chmod(0o777)
    for name in ("lost.log", "forwarder.log", "forward.lock"):
        (directory / name).write_text("")
        (directory / name).chmod(0o644)
    (directory / "pending").mkdir()
    (directory / "pending").chmod(0o755)
    backend.start()
    backend.faults.refuse_jobs = ("bad0",)
    transport = spool_transport(directory, backend.url, max_bytes=4 * 4096)
    for event in [*run_pairs(1, "bad"), *run_pairs(1, "good"), *run_pairs(1, "lost")]:
        transport.emit(event)  # the last one is refused: lost.log gets a line
    forward(transport.spool, transport.inner, window_seconds=0, lock_wait=0)
    # A background forwarder (its own process, here run to its end) writes forwarder.log.
    late = spool_transport(directory, "http://127.0.0.1:9", retry_window_seconds=0)
    late.emit(make_event("late", "START"))
    subprocess.run(
        [sys.executable, "-m", "llm_lineage.transports.forwarder"],
        env={
            **os.environ,
            "PYTHONPATH": os.pathsep.join(sys.path),
            "LLM_LINEAGE_SPOOL_FORWARDER_CONFIG": json.dumps(late.config.as_dict()),
        },
        check=True,
        timeout=120,
    )
    modes = _modes(directory)
    wrong = {
        name: mode
        for name, mode in modes.items()
        if mode != ("0o700" if (tmp_path / name).is_dir() else "0o600")
    }
    assert wrong == {}
    assert sum(name.endswith(".response") for name in modes) == 2
    assert "Lineage backend did not take" in (directory / "forwarder.log").read_text()
    assert {"spool/usage", "spool/lost.log", "spool/forward.lock"} <= set(modes)
