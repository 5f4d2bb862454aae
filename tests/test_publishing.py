"""Concurrent and crashed runs: one unit per publish, one writer per destination, no leftovers.

The races are real: writers run in threads or processes over real corpora, and the first
writer is held (after it staged a complete unit, before it publishes) by wrapping the engine,
the way a slow object-store upload holds it.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from airflow.sdk.io.store import attach
from fsspec.implementations.memory import MemoryFileSystem

import llm_lineage.hooks.extraction as extraction_hook
import llm_lineage.hooks.locking as locking
import llm_lineage.hooks.publishing as publishing
from llm_lineage.extraction import ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.hooks.locking import (
    LOCK_NAME,
    DestinationBusy,
    DestinationLock,
    LocalLockFile,
    LockLost,
    Owner,
    current_owner,
    is_stale,
    machine_id,
)
from llm_lineage.hooks.publishing import (
    OWNER_FILE,
    RUN_ID_KEY,
    STAGING_PREFIX,
    MixedOutput,
    check_one_run,
    foreign_files,
    publication,
    staging_places,
    sweep_stale_staging,
)
from llm_lineage.hooks.storage import storage_path
from llm_lineage.hooks.tokenization import SourceError, TokenizerHook

SETTINGS = ExtractionSettings(workers=0)


class _Log:
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
    return sorted(
        p.name
        for folder in folders
        for p in folder.iterdir()
        if p.name.startswith(STAGING_PREFIX) or p.name.startswith(LOCK_NAME)
    )


@dataclass
class Hold:
    """A run held at one point: ``reached`` is set when it gets there, ``release`` lets it go."""

    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def wait_here(self) -> None:
        self.reached.set()
        assert self.release.wait(60), "the test never released the held run"


@pytest.fixture
def held_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Hold]]:
    """``hold(corpus)``: runs over ``corpus`` stop once their unit is staged, before publishing.

    That is where a slow upload keeps a run: its output complete, the destination still old.
    """
    real = extraction_hook.extract_corpus
    holds: dict[str, Hold] = {}

    def extract(documents: Any, source_uri: str, *args: Any, **kwargs: Any) -> Any:
        result = real(documents, source_uri, *args, **kwargs)
        if source_uri in holds:
            holds[source_uri].wait_here()
        return result

    def hold(corpus: Path) -> Hold:
        holds[corpus.as_uri()] = Hold()
        return holds[corpus.as_uri()]

    monkeypatch.setattr(extraction_hook, "extract_corpus", extract)
    yield hold
    for held in holds.values():
        held.release.set()


def run_in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def body() -> None:
        try:
            outcome["value"] = target()
        except BaseException as error:
            outcome["error"] = error

    thread = threading.Thread(target=body)
    thread.start()
    return thread, outcome


def test_second_run_fails_fast_naming_the_first_and_never_mixes(
    tmp_path: Path, held_engine: Callable[[Path], Hold]
) -> None:
    small, large = make_corpus(tmp_path / "small", 4), make_corpus(tmp_path / "large", 13)
    out = tmp_path / "out"
    held = held_engine(small)
    first_owner = "dag_id=docs task_id=extract run_id=scheduled__1 try=1"
    first, outcome = run_in_thread(
        lambda: DocumentExtractionHook(owner=first_owner).extract(small, out, SETTINGS)
    )
    assert held.reached.wait(60)

    with pytest.raises(DestinationBusy) as busy:
        DocumentExtractionHook(owner="try=2").extract(large, out, SETTINGS)
    message = str(busy.value)
    assert first_owner in message
    assert f"pid {os.getpid()} on host" in message
    assert "since 20" in message
    assert busy.value.holder is not None and busy.value.holder.label == first_owner
    assert not (out / "text.parquet").exists()  # the second run published nothing

    held.release.set()
    first.join(60)
    assert "error" not in outcome
    assert_one_run(out, 4)
    assert outcome["value"].result.summary.documents == 4
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet", "text.parquet"]
    assert leftovers(out, tmp_path) == []


def test_second_run_waits_for_the_first_then_publishes_its_own(
    tmp_path: Path, held_engine: Callable[[Path], Hold]
) -> None:
    small, large = make_corpus(tmp_path / "small", 4), make_corpus(tmp_path / "large", 13)
    out = tmp_path / "out"
    held = held_engine(small)
    first, first_outcome = run_in_thread(
        lambda: DocumentExtractionHook().extract(small, out, SETTINGS)
    )
    assert held.reached.wait(60)
    second, second_outcome = run_in_thread(
        lambda: DocumentExtractionHook(lock_timeout=60).extract(large, out, SETTINGS)
    )
    time.sleep(1.5)
    assert second.is_alive()  # waiting for the lock, not interleaving
    assert not (out / "text.parquet").exists()

    held.release.set()
    first.join(60)
    second.join(60)
    assert "error" not in first_outcome and "error" not in second_outcome
    assert_one_run(out, 13)  # the second run published last, whole
    assert leftovers(out, tmp_path) == []


def _write_unit(folder: Path, run_id: str, rows: int) -> None:
    table = pa.table({"doc_id": [f"{run_id}-{i}" for i in range(rows)]})
    for name in ("text.parquet", "manifest.parquet"):
        pq.write_table(table.replace_schema_metadata({RUN_ID_KEY: run_id}), folder / name)


def _coexisting_runs(out: Path) -> tuple[str, str] | None:
    """The run ids of a text and a manifest that were on disk together at one instant."""
    try:
        with (out / "text.parquet").open("rb") as text, (out / "manifest.parquet").open("rb") as m:
            with (out / "text.parquet").open("rb") as again:
                if os.fstat(text.fileno()).st_ino != os.fstat(again.fileno()).st_ino:
                    return None  # a publish happened between the opens: not one instant
            return _run_id(text), _run_id(m)
    except FileNotFoundError:
        return None


def _run_id(handle: Any) -> str:
    return pq.ParquetFile(handle).metadata.metadata[RUN_ID_KEY.encode()].decode()


def test_a_reader_never_sees_two_runs_together(tmp_path: Path) -> None:
    out = tmp_path / "out"
    destination = storage_path(out)
    stop = threading.Event()
    seen: list[tuple[str, str]] = []

    def read() -> None:
        while not stop.is_set():
            runs = _coexisting_runs(out)
            if runs:
                seen.append(runs)

    def write(rows: int) -> None:
        for _ in range(40):
            with publication(
                destination, ("text.parquet", "manifest.parquet"), lock_timeout=30
            ) as u:
                _write_unit(u.output, u.run_id, rows)
                u.publish(last="text.parquet")

    reader = threading.Thread(target=read)
    reader.start()
    writers = [threading.Thread(target=write, args=(rows,)) for rows in (4, 13)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    stop.set()
    reader.join(10)
    assert len(seen) > 50
    assert [pair for pair in seen if pair[0] != pair[1]] == []
    assert len({text for text, _ in seen}) > 10  # the reader saw many publishes


def test_one_by_one_fallback_is_detected_by_the_run_ids(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without an atomic exchange a reader can land between two renames; the footers tell."""
    out = tmp_path / "out"
    destination = storage_path(out)
    with publication(destination, ("text.parquet", "manifest.parquet")) as unit:
        _write_unit(unit.output, unit.run_id, 4)
        unit.publish(last="text.parquet")
    monkeypatch.setattr(publishing, "exchange", lambda first, second: False)
    real_replace = Path.replace
    midway: list[Exception] = []

    def replace(self: Path, target: Any) -> Any:
        moved = real_replace(self, target)
        if Path(target).name == "manifest.parquet":
            with pytest.raises(MixedOutput) as mixed:
                check_one_run(destination, ("text.parquet", "manifest.parquet"))
            midway.append(mixed.value)
        return moved

    monkeypatch.setattr(Path, "replace", replace)
    log = _Log()
    with publication(destination, ("text.parquet", "manifest.parquet"), logger=log) as unit:
        _write_unit(unit.output, unit.run_id, 13)
        unit.publish(last="text.parquet")
        second = unit.run_id
    assert len(midway) == 1
    assert second in str(midway[0]) and "is publishing into it now" in str(midway[0])
    assert any("one by one" in line and "renameat2" in line for line in log.lines)
    check_one_run(destination, ("text.parquet", "manifest.parquet"))  # whole again


KILLED_RUN = """
import sys, time
from pathlib import Path
import llm_lineage.hooks.extraction as hook
from llm_lineage.extraction import ExtractionSettings
real = hook.extract_corpus
def staged_then_stuck(*args, **kwargs):
    result = real(*args, **kwargs)
    Path(sys.argv[3]).write_text("staged")
    time.sleep(600)
    return result
hook.extract_corpus = staged_then_stuck
hook.DocumentExtractionHook(owner="the killed run").extract(
    sys.argv[1], sys.argv[2], ExtractionSettings(workers=0)
)
"""


def _start_stuck_run(corpus: Path, out: Path, marker: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(corpus), str(out), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert process.poll() is None, "the run to kill ended early"
        assert time.monotonic() < deadline, "the run to kill never staged its output"
        time.sleep(0.2)
    return process


def test_killed_run_is_cleaned_up_by_the_next_and_a_live_one_is_not(tmp_path: Path) -> None:
    corpus, out = make_corpus(tmp_path / "corpus", 5), tmp_path / "out"
    process = _start_stuck_run(corpus, out, tmp_path / "staged")
    staging = [p for p in tmp_path.iterdir() if p.name.startswith(STAGING_PREFIX)]
    assert len(staging) == 1
    record = json.loads((staging[0] / OWNER_FILE).read_text())
    assert record["pid"] == process.pid and record["label"] == "the killed run"
    destination = storage_path(out)
    try:
        with pytest.raises(DestinationBusy, match=f"the killed run, pid {process.pid}"):
            DocumentExtractionHook().extract(corpus, out, SETTINGS)
        places = staging_places(destination)
        uri = out.as_uri()
        assert sweep_stale_staging(places, uri, 600, _Log(), True) == []
        assert staging[0].exists()  # alive: its staging stays
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert (out / LOCK_NAME).exists() and staging[0].exists()  # SIGKILL skipped every finally

    run = DocumentExtractionHook().extract(corpus, out, SETTINGS)  # takes over, cleans up
    assert_one_run(out, 5)
    assert run.result.summary.documents == 5
    assert not staging[0].exists()
    assert leftovers(out, tmp_path) == []


def _owner(**changes: Any) -> Owner:
    return replace(current_owner(uuid.uuid4().hex, "file:///dest", "test"), **changes)


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(30)
    return process.pid


def test_stale_rule() -> None:
    now = time.time()
    me = _owner()
    assert not is_stale(me, now, 600, now)
    assert is_stale(me, now - 601, 600, now)  # alive but frozen: no heartbeat for too long
    assert is_stale(_owner(pid=_dead_pid()), now, 600, now)  # gone from this machine
    reused = _owner(process_started=(me.process_started or 0) - 3600)
    assert is_stale(reused, now, 600, now)  # the pid now belongs to another process
    elsewhere = _owner(machine="another-host|boot|pid:[1]", pid=_dead_pid())
    assert not is_stale(elsewhere, now - 599, 600, now)  # its pid means nothing here
    assert is_stale(elsewhere, now - 601, 600, now)
    assert not is_stale(None, now - 10, 600, now)  # a lock still being written
    assert is_stale(None, now - 601, 600, now)


def test_machine_id_names_the_pid_namespace() -> None:
    assert machine_id().startswith(os.uname().nodename)
    if Path("/proc/self/ns/pid").exists():
        assert "pid:[" in machine_id()


def test_lock_takes_over_a_dead_owner_and_waits_for_a_live_one(tmp_path: Path) -> None:
    path = tmp_path / LOCK_NAME
    dead = _owner(pid=_dead_pid())
    path.write_bytes(dead.to_bytes())
    log = _Log()
    lock = DestinationLock(LocalLockFile(path, "file:///dest/.lock"), _owner(), 600, log)
    lock.acquire(0)
    assert Owner.from_bytes(path.read_bytes()) == lock.owner
    assert any("Taking over the stale lock" in line and str(dead.pid) in line for line in log.lines)

    other = DestinationLock(LocalLockFile(path, "file:///dest/.lock"), _owner(), 600, log)
    started = time.monotonic()
    with pytest.raises(DestinationBusy, match=lock.owner.run_id):
        other.acquire(1.0)
    assert time.monotonic() - started >= 1.0
    lock.release()
    other.acquire(0)
    assert Owner.from_bytes(path.read_bytes()) == other.owner


def test_taking_over_never_removes_a_lock_created_since(tmp_path: Path) -> None:
    path = tmp_path / LOCK_NAME
    file = LocalLockFile(path, "file:///dest/.lock")
    assert file.create(_owner(pid=_dead_pid()).to_bytes())
    stale = file.read()
    assert stale is not None
    path.unlink()  # the stale lock was taken over by someone else in between
    fresh = _owner()
    assert file.create(fresh.to_bytes())
    assert not file.remove(stale)
    assert Owner.from_bytes(path.read_bytes()) == fresh
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]


def test_heartbeat_keeps_a_long_run_from_going_stale(tmp_path: Path) -> None:
    destination = storage_path(tmp_path / "out")
    with publication(destination, ("a",), stale_after=0.4) as unit:
        time.sleep(1.2)  # three times stale_after
        with (
            pytest.raises(DestinationBusy, match=unit.run_id),
            publication(destination, ("a",), stale_after=0.4),
        ):
            pass
        assert (Path(unit.scratch) / OWNER_FILE).exists()


def test_a_lost_lock_publishes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with (
        pytest.raises(LockLost, match="nothing was published"),
        publication(storage_path(out), ("text.parquet",)) as unit,
    ):
        (unit.output / "text.parquet").write_bytes(b"data")
        (out / LOCK_NAME).write_bytes(_owner().to_bytes())  # taken over meanwhile
        unit.publish()
    assert not (out / "text.parquet").exists()


def test_sweep_leaves_other_destinations_and_fresh_unrecorded_folders(tmp_path: Path) -> None:
    dead = _dead_pid()
    ours = tmp_path / f"{STAGING_PREFIX}ours"
    theirs = tmp_path / f"{STAGING_PREFIX}theirs"
    unrecorded = tmp_path / f"{STAGING_PREFIX}0123abcd"
    for folder, destination in ((ours, "file:///a"), (theirs, "file:///b")):
        folder.mkdir()
        (folder / OWNER_FILE).write_bytes(_owner(pid=dead, destination=destination).to_bytes())
    unrecorded.mkdir()
    (unrecorded / "text.parquet").write_bytes(b"partial")
    removed = sweep_stale_staging([tmp_path], "file:///a", 600, _Log(), True)
    assert removed == [ours]
    assert theirs.exists() and unrecorded.exists()  # another destination's; changed just now
    time.sleep(0.6)  # nothing in the unrecorded folder changes for longer than stale_after
    assert sweep_stale_staging([tmp_path], "file:///a", 0.5, _Log(), False) == []
    assert sweep_stale_staging([tmp_path], "file:///a", 0.5, _Log(), True) == [unrecorded]
    assert theirs.exists()


def test_adapter_like_folder_is_swapped_whole_and_not_left_when_nothing_published(
    tmp_path: Path,
) -> None:
    out = tmp_path / "adapter"
    owned = ("adapter_config.json", "adapter_model.safetensors", "README.md")
    destination = storage_path(out)
    with (
        pytest.raises(RuntimeError, match="training failed"),
        publication(destination, owned, folder_is_output=True),
    ):
        raise RuntimeError("training failed")
    assert not out.exists()

    for files in (owned, owned[:2]):
        with publication(destination, owned, folder_is_output=True) as unit:
            for name in files:
                (unit.output / name).write_text(unit.run_id)
            assert foreign_files(destination, owned) == []  # our lock is not foreign
            replaced = unit.publish(last="adapter_config.json")
    assert replaced == frozenset(owned)
    assert sorted(p.name for p in out.iterdir()) == sorted(owned[:2])  # README.md went too
    assert leftovers(out, tmp_path) == []


@pytest.fixture
def memory_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    fs = MemoryFileSystem()
    attach("memory", fs=fs)
    monkeypatch.setattr(locking, "READ_BACK_DELAY", 0.0)
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    yield f"memory://{bucket}"
    if fs.exists(f"/{bucket}"):
        fs.rm(f"/{bucket}", recursive=True)


def test_object_store_unit_carries_one_run_id(tmp_path: Path, memory_bucket: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 4)
    run = DocumentExtractionHook().extract(corpus, f"{memory_bucket}/out", SETTINGS)
    out = storage_path(f"{memory_bucket}/out")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet", "text.parquet"]
    runs = {publishing.footer_run_id(out / name) for name in ("text.parquet", "manifest.parquet")}
    assert len(runs) == 1 and None not in runs
    assert run.plan.replaced == frozenset()
    assert not (staging_places(out)[0] / f"{STAGING_PREFIX}{runs.pop()}").exists()


def test_object_store_lock_busy_stale_and_mixed_pair(tmp_path: Path, memory_bucket: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 4)
    out = storage_path(f"{memory_bucket}/out")
    lock = out / LOCK_NAME
    holder = _owner(label="dag_id=remote task_id=extract")
    out.fs.pipe_file(lock.path, holder.to_bytes())
    with pytest.raises(DestinationBusy, match="dag_id=remote task_id=extract"):
        DocumentExtractionHook().extract(corpus, str(out), SETTINGS)

    gone = _owner(machine="another-host", refreshed=time.time() - 3600)
    out.fs.pipe_file(lock.path, gone.to_bytes())
    DocumentExtractionHook().extract(corpus, str(out), SETTINGS)
    assert not lock.exists()
    TokenizerHook().source_path(str(out))  # a whole unit passes

    text_of_first = out.fs.cat_file((out / "text.parquet").path)
    first = publishing.footer_run_id(out / "text.parquet")
    DocumentExtractionHook().extract(make_corpus(tmp_path / "other", 13), str(out), SETTINGS)
    second = publishing.footer_run_id(out / "manifest.parquet")
    out.fs.pipe_file((out / "text.parquet").path, text_of_first)  # an interrupted upload
    with pytest.raises(SourceError, match="interrupted") as mixed:
        TokenizerHook().source_path(str(out))
    assert f"text.parquet (run {first})" in str(mixed.value)
    assert f"manifest.parquet (run {second})" in str(mixed.value)
    out.fs.pipe_file(lock.path, holder.to_bytes())
    with pytest.raises(SourceError, match=r"dag_id=remote task_id=extract.*publishing into it"):
        TokenizerHook().source_path(str(out))


def test_task_owner_names_the_airflow_task_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    import airflow.sdk

    assert publishing.task_owner() is None  # not in a task
    ti = SimpleNamespace(dag_id="docs", task_id="extract", run_id="manual__1", try_number=3)
    monkeypatch.setattr(airflow.sdk, "get_current_context", lambda: {"ti": ti})
    assert publishing.task_owner() == "dag_id=docs task_id=extract run_id=manual__1 try=3"
    ti.map_index = 7
    assert publishing.task_owner() == (
        "dag_id=docs task_id=extract run_id=manual__1 try=3 map_index=7"
    )


def test_slow_object_store_upload_blocks_writers_and_readers_see_the_mix(
    tmp_path: Path, memory_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's race on an object store: a retry overlapping an upload between two files."""
    small, large = make_corpus(tmp_path / "small", 4), make_corpus(tmp_path / "large", 13)
    out = storage_path(f"{memory_bucket}/out")
    DocumentExtractionHook().extract(large, str(out), SETTINGS)
    fs = out.fs
    real_put = fs.put_file
    held = Hold()

    def slow_put(local: str, remote: str, *args: Any, **kwargs: Any) -> Any:
        uploaded = real_put(local, remote, *args, **kwargs)
        if remote.endswith("manifest.parquet") and not held.reached.is_set():
            held.wait_here()  # the upload of text.parquet has not started yet
        return uploaded

    monkeypatch.setattr(fs, "put_file", slow_put)
    first, outcome = run_in_thread(
        lambda: DocumentExtractionHook(owner="the slow upload").extract(small, str(out), SETTINGS)
    )
    assert held.reached.wait(60)
    with pytest.raises(DestinationBusy, match="the slow upload"):
        DocumentExtractionHook().extract(large, str(out), SETTINGS)
    with pytest.raises(SourceError, match=r"the slow upload.*is publishing into it now"):
        TokenizerHook().source_path(str(out))

    held.release.set()
    first.join(60)
    assert "error" not in outcome
    TokenizerHook().source_path(str(out))
    tables = {
        n: pq.read_table(fs.open((out / n).path, "rb"))
        for n in ("text.parquet", "manifest.parquet")
    }
    runs = {publishing.footer_run_id(out / name) for name in tables}
    assert len(runs) == 1 and None not in runs
    assert [t.num_rows for t in tables.values()] == [4, 4]
