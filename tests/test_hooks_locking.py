"""The destination's lock: one stale rule, takeover, heartbeat, a lost lock, the owner's name.

The lock files are real (on local disk and on fsspec's memory file system as an object store);
dead owners are processes that really ended, and the killed run is a real process, killed with
SIGKILL after it staged its unit, so no ``finally`` of it runs.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest

import llm_lineage.hooks.publishing as publishing
import llm_lineage.storage.owner as owners
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.hooks.publishing import publication
from llm_lineage.hooks.storage import storage_path
from llm_lineage.hooks.tokenization import SourceError, TokenizerHook
from llm_lineage.storage.locks import (
    LOCK_NAME,
    DestinationBusy,
    DestinationLock,
    LocalLockFile,
    LockLost,
)
from llm_lineage.storage.owner import Owner, is_stale, machine_id
from llm_lineage.storage.run_ids import footer_run_id
from llm_lineage.storage.staging import (
    OWNER_FILE,
    STAGING_PREFIX,
    staging_places,
    sweep_stale_staging,
)
from publishing_fixtures import (
    SETTINGS,
    Log,
    assert_one_run,
    dead_pid,
    extract_with,
    leftovers,
    make_corpus,
    make_owner,
)


def test_stale_rule() -> None:
    now = time.time()
    me = make_owner()
    assert not is_stale(me, now, 600, now)
    assert is_stale(me, now - 601, 600, now)  # alive but frozen: no heartbeat for too long
    assert is_stale(make_owner(pid=dead_pid()), now, 600, now)  # gone from this machine
    reused = make_owner(process_started=(me.process_started or 0) - 3600)
    assert is_stale(reused, now, 600, now)  # the pid now belongs to another process
    elsewhere = make_owner(machine="another-host|boot|pid:[1]", pid=dead_pid())
    assert not is_stale(elsewhere, now - 599, 600, now)  # its pid means nothing here
    assert is_stale(elsewhere, now - 601, 600, now)
    assert not is_stale(None, now - 10, 600, now)  # a lock still being written
    assert is_stale(None, now - 601, 600, now)


def test_machine_id_names_the_pid_namespace() -> None:
    assert machine_id().startswith(os.uname().nodename)
    if Path("/proc/self/ns/pid").exists():
        assert "pid:[" in machine_id()


SAME_HOST_OTHER_CONTAINER = """
import json, sys
from llm_lineage.storage.owner import current_owner
print(json.dumps(current_owner("run-b", "file:///dest", None).__dict__))
"""


@pytest.mark.skipif(not Path("/proc/self/ns/pid").exists(), reason="Linux pid namespaces")
def test_two_workers_with_one_host_name_are_told_apart() -> None:
    """A second worker in its own pid namespace with this host name (one pod, ``--network
    host``): its record differs from ours beyond the host name, so neither judges the other's
    pid, and a live one is never taken over for a pid missing here."""
    unshare = subprocess.run(
        [
            "unshare",
            "--pid",
            "--fork",
            "--mount-proc",
            sys.executable,
            "-c",
            SAME_HOST_OTHER_CONTAINER,
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(publishing.__file__).parents[2])},
        timeout=120,
    )
    if unshare.returncode != 0 and "Operation not permitted" in unshare.stderr:
        pytest.skip("no permission to make a pid namespace here")
    assert unshare.returncode == 0, unshare.stderr[-2000:]
    other = Owner(**json.loads(unshare.stdout.strip().splitlines()[-1]))
    me = make_owner()
    assert other.host == me.host  # what the OS host name alone cannot tell apart
    assert (other.machine, other.process) != (me.machine, me.process)
    now = time.time()
    assert not is_stale(other, now - 599, 600, now)  # its pid means nothing in our namespace
    assert is_stale(other, now - 601, 600, now)  # a frozen or dead worker: heartbeats stop
    assert f"process {other.process[:12]}" in other.describe()


def test_without_a_readable_pid_namespace_only_heartbeats_judge(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sandbox that hides /proc: the machine id is this process's, so a record from another
    process (a dead pid here, same host name) is never judged gone, only stale by time."""
    monkeypatch.setattr(owners, "_pid_namespace", lambda: None)
    owners._machine.cache_clear()
    try:
        assert machine_id() == f"{os.uname().nodename}|process:{owners.process_id()}"
        me = make_owner()
        now = time.time()
        assert not is_stale(me, now, 600, now)
        other = replace(me, machine=me.machine.replace(me.process or "", "0" * 32), pid=dead_pid())
        assert not is_stale(other, now - 599, 600, now)
        assert is_stale(other, now - 601, 600, now)
        assert is_stale(replace(me, pid=dead_pid()), now, 600, now)  # ours, and gone
    finally:
        owners._machine.cache_clear()


def test_each_process_has_its_own_id_and_old_records_still_read() -> None:
    me = make_owner()
    assert me.process == owners.process_id() and len(me.process) == 32
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # a forked worker process (Celery's prefork pool): an id of its own
        os.write(write, owners.process_id().encode())
        os._exit(0)
    os.waitpid(child, 0)
    assert os.read(read, 64).decode() not in ("", me.process)
    old = {k: v for k, v in json.loads(me.to_bytes()).items() if k != "process"}
    assert Owner.from_bytes(json.dumps(old).encode()) == replace(me, process=None)


def test_lock_takes_over_a_dead_owner_and_waits_for_a_live_one(tmp_path: Path) -> None:
    path = tmp_path / LOCK_NAME
    dead = make_owner(pid=dead_pid())
    path.write_bytes(dead.to_bytes())
    log = Log()
    lock = DestinationLock(LocalLockFile(path, "file:///dest/.lock"), make_owner(), 600, log)
    lock.acquire(0)
    assert Owner.from_bytes(path.read_bytes()) == lock.owner
    assert any("Taking over the stale lock" in line and str(dead.pid) in line for line in log.lines)

    other = DestinationLock(LocalLockFile(path, "file:///dest/.lock"), make_owner(), 600, log)
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
    assert file.create(make_owner(pid=dead_pid()).to_bytes())
    stale = file.read()
    assert stale is not None
    path.unlink()  # the stale lock was taken over by someone else in between
    fresh = make_owner()
    assert file.create(fresh.to_bytes())
    assert not file.remove(stale)
    assert Owner.from_bytes(path.read_bytes()) == fresh
    assert [p.name for p in tmp_path.iterdir()] == [LOCK_NAME]


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
killed = hook.DocumentExtractionHook(owner="the killed run")
killed.extract(killed.plan(sys.argv[1], sys.argv[2], ExtractionSettings(workers=0)))
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
            extract_with(DocumentExtractionHook(), corpus, out, SETTINGS)
        places = staging_places(destination)
        uri = out.as_uri()
        assert sweep_stale_staging(places, uri, 600, Log(), True) == []
        assert staging[0].exists()  # alive: its staging stays
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(30)
    assert (out / LOCK_NAME).exists() and staging[0].exists()  # SIGKILL skipped every finally

    run = extract_with(DocumentExtractionHook(), corpus, out, SETTINGS)  # takes over, cleans up
    assert_one_run(out, 5)
    assert run.result.summary.documents == 5
    assert not staging[0].exists()
    assert leftovers(out, tmp_path) == []


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
        (out / LOCK_NAME).write_bytes(make_owner().to_bytes())  # taken over meanwhile
        unit.publish()
    assert not (out / "text.parquet").exists()


def test_object_store_lock_busy_stale_and_mixed_pair(tmp_path: Path, memory_bucket: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 4)
    out = storage_path(f"{memory_bucket}/out")
    lock = out / LOCK_NAME
    holder = make_owner(label="dag_id=remote task_id=extract")
    out.fs.pipe_file(lock.path, holder.to_bytes())
    with pytest.raises(DestinationBusy, match="dag_id=remote task_id=extract"):
        extract_with(DocumentExtractionHook(), corpus, str(out), SETTINGS)

    gone = make_owner(machine="another-host", refreshed=time.time() - 3600)
    out.fs.pipe_file(lock.path, gone.to_bytes())
    extract_with(DocumentExtractionHook(), corpus, str(out), SETTINGS)
    assert not lock.exists()
    TokenizerHook().source_path(str(out))  # a whole unit passes

    text_of_first = out.fs.cat_file((out / "text.parquet").path)
    first = footer_run_id(out / "text.parquet")
    extract_with(DocumentExtractionHook(), make_corpus(tmp_path / "other", 13), str(out), SETTINGS)
    second = footer_run_id(out / "manifest.parquet")
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
