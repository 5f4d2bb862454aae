"""Publishing one unit per run: writers racing, readers meanwhile, sweeps, swaps, object stores.

The races are real: writers run in threads over real corpora, and the first writer is held
(after it staged a complete unit, before it publishes) by wrapping the engine, the way a slow
object-store upload holds it. The lock itself, and a killed run taken over, are in
``test_hooks_locking.py``.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import llm_lineage.hooks.extraction as extraction_hook
import llm_lineage.storage.swap as swap
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.hooks.publishing import check_one_run, publication
from llm_lineage.hooks.storage import storage_path
from llm_lineage.hooks.tokenization import SourceError, TokenizerHook
from llm_lineage.storage.locks import DestinationBusy
from llm_lineage.storage.publication import foreign_files
from llm_lineage.storage.run_ids import RUN_ID_KEY, MixedOutput, footer_run_id
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
        lambda: extract_with(DocumentExtractionHook(owner=first_owner), small, out, SETTINGS)
    )
    assert held.reached.wait(60)

    with pytest.raises(DestinationBusy) as busy:
        extract_with(DocumentExtractionHook(owner="try=2"), large, out, SETTINGS)
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
        lambda: extract_with(DocumentExtractionHook(), small, out, SETTINGS)
    )
    assert held.reached.wait(60)
    second, second_outcome = run_in_thread(
        lambda: extract_with(DocumentExtractionHook(lock_timeout=60), large, out, SETTINGS)
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
    monkeypatch.setattr(swap, "exchange", lambda first, second: False)
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
    log = Log()
    with publication(destination, ("text.parquet", "manifest.parquet"), logger=log) as unit:
        _write_unit(unit.output, unit.run_id, 13)
        unit.publish(last="text.parquet")
        second = unit.run_id
    assert len(midway) == 1
    assert second in str(midway[0]) and "is publishing into it now" in str(midway[0])
    assert any("one by one" in line and "renameat2" in line for line in log.lines)
    check_one_run(destination, ("text.parquet", "manifest.parquet"))  # whole again


def test_sweep_leaves_other_destinations_and_fresh_unrecorded_folders(tmp_path: Path) -> None:
    dead = dead_pid()
    ours = tmp_path / f"{STAGING_PREFIX}ours"
    theirs = tmp_path / f"{STAGING_PREFIX}theirs"
    unrecorded = tmp_path / f"{STAGING_PREFIX}0123abcd"
    for folder, destination in ((ours, "file:///a"), (theirs, "file:///b")):
        folder.mkdir()
        (folder / OWNER_FILE).write_bytes(make_owner(pid=dead, destination=destination).to_bytes())
    unrecorded.mkdir()
    (unrecorded / "text.parquet").write_bytes(b"partial")
    removed = sweep_stale_staging([tmp_path], "file:///a", 600, Log(), True)
    assert removed == [ours]
    assert theirs.exists() and unrecorded.exists()  # another destination's; changed just now
    time.sleep(0.6)  # nothing in the unrecorded folder changes for longer than stale_after
    assert sweep_stale_staging([tmp_path], "file:///a", 0.5, Log(), False) == []
    assert sweep_stale_staging([tmp_path], "file:///a", 0.5, Log(), True) == [unrecorded]
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


def test_object_store_unit_carries_one_run_id(tmp_path: Path, memory_bucket: str) -> None:
    corpus = make_corpus(tmp_path / "corpus", 4)
    run = extract_with(DocumentExtractionHook(), corpus, f"{memory_bucket}/out", SETTINGS)
    out = storage_path(f"{memory_bucket}/out")
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet", "text.parquet"]
    runs = {footer_run_id(out / name) for name in ("text.parquet", "manifest.parquet")}
    assert len(runs) == 1 and None not in runs
    assert run.plan.replaced == frozenset()
    assert not (staging_places(out)[0] / f"{STAGING_PREFIX}{runs.pop()}").exists()


def test_slow_object_store_upload_blocks_writers_and_readers_see_the_mix(
    tmp_path: Path, memory_bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's race on an object store: a retry overlapping an upload between two files."""
    small, large = make_corpus(tmp_path / "small", 4), make_corpus(tmp_path / "large", 13)
    out = storage_path(f"{memory_bucket}/out")
    extract_with(DocumentExtractionHook(), large, str(out), SETTINGS)
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
        lambda: extract_with(
            DocumentExtractionHook(owner="the slow upload"), small, str(out), SETTINGS
        )
    )
    assert held.reached.wait(60)
    with pytest.raises(DestinationBusy, match="the slow upload"):
        extract_with(DocumentExtractionHook(), large, str(out), SETTINGS)
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
    runs = {footer_run_id(out / name) for name in tables}
    assert len(runs) == 1 and None not in runs
    assert [t.num_rows for t in tables.values()] == [4, 4]
