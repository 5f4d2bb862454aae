"""Helpers shared by the publishing and locking tests: corpora, units, owners, a memory bucket.

``memory_bucket`` is a fixture, visible to every test module (``tests/conftest.py`` loads this
module with ``pytest_plugins``).
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from airflow.sdk.io import store
from airflow.sdk.io.store import attach
from fsspec.implementations.memory import MemoryFileSystem

import llm_lineage.storage.locks as locks
from llm_lineage.extraction import ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook, ExtractionRun
from llm_lineage.storage.locks import LOCK_NAME
from llm_lineage.storage.owner import Owner, current_owner
from llm_lineage.storage.run_ids import RUN_ID_KEY
from llm_lineage.storage.staging import STAGING_PREFIX

#: In-process parsing: the tests race runs, not reader processes.
SETTINGS = ExtractionSettings(workers=0)


class Log:
    """Collects what the code under test logs, so tests can assert on it."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)

    def warning(self, msg: Any, *args: Any) -> None:
        self.lines.append(str(msg) % args)


def make_corpus(root: Path, documents: int) -> Path:
    root.mkdir(parents=True)
    for index in range(documents):
        (root / f"doc{index:02d}.txt").write_text(f"Document {index} of {documents}.\n")
    return root


def unit_of(folder: Path) -> dict[str, tuple[str | None, list[str]]]:
    """Each output file's run id (footer) and doc ids."""
    unit = {}
    for name in ("text.parquet", "manifest.parquet"):
        table = pq.read_table(folder / name)
        footer = pq.read_metadata(folder / name).metadata or {}
        run = footer.get(RUN_ID_KEY.encode())
        unit[name] = (run.decode() if run else None, sorted(table.column("doc_id").to_pylist()))
    return unit


def assert_one_run(folder: Path, documents: int) -> str:
    """Text and manifest come from one run with ``documents`` rows; returns that run id."""
    unit = unit_of(folder)
    (text_run, text_ids), (manifest_run, manifest_ids) = unit.values()
    assert text_run is not None
    assert text_run == manifest_run
    assert text_ids == manifest_ids
    assert len(text_ids) == documents
    return text_run


def leftovers(*folders: Path) -> list[str]:
    """Staging folders and lock files left in ``folders``: a finished run leaves none."""
    return sorted(
        p.name
        for folder in folders
        for p in folder.iterdir()
        if p.name.startswith(STAGING_PREFIX) or p.name.startswith(LOCK_NAME)
    )


def make_owner(**changes: Any) -> Owner:
    """This process as a lock owner of a fresh run, with ``changes`` applied."""
    return replace(current_owner(uuid.uuid4().hex, "file:///dest", "test"), **changes)


def dead_pid() -> int:
    """The pid of a process that has just ended: no process on this machine has it now."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(30)
    return process.pid


def forget_memory_stores() -> None:
    """Drop the ``memory`` stores Airflow keeps per process: ``attach`` returns a kept store as
    it is, and one made for a ``memory://conn@bucket`` path with no file system (a test that
    only names such a path) would fail a later test's reads, whichever module ran first."""
    for alias in [a for a in store._STORE_CACHE if a == "memory" or a.startswith("memory-")]:
        del store._STORE_CACHE[alias]


@pytest.fixture(name="memory_bucket")
def memory_bucket_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh bucket on fsspec's memory file system, as an object store (no read-back delay)."""
    fs = MemoryFileSystem()
    forget_memory_stores()
    attach("memory", fs=fs)
    monkeypatch.setattr(locks, "READ_BACK_DELAY", 0.0)
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    yield f"memory://{bucket}"
    if fs.exists(f"/{bucket}"):
        fs.rm(f"/{bucket}", recursive=True)
    forget_memory_stores()


def extract_with(hook: DocumentExtractionHook, *where: Any) -> ExtractionRun:
    """``hook.extract`` on ``hook.plan(source, destination, settings)``."""
    return hook.extract(hook.plan(*where))
