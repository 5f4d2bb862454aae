"""The DataHub file sink's file: symlinks, folders and other non-files, and file modes.

``filename`` is checked when the transport is built (``sink_path``); every test builds the
transport as OpenLineage does (``get_default_factory().create``) and emits real events from a
pipeline run into real files.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from openlineage.client.transport import get_default_factory

from conftest import TESTS
from datahub_gms import file_proposals
from llm_lineage.transports.events import rehydrate

TYPE = "llm_lineage.transports.datahub.DataHubTransport"
EVENTS = [
    json.loads(line)
    for line in (TESTS / "datahub_pipeline_events.jsonl").read_text().splitlines()[:3]
]


def transport(filename: Path | str) -> Any:
    return get_default_factory().create({"type": TYPE, "filename": str(filename)})


def emit(target: Any) -> None:
    for item in EVENTS:
        target.emit(rehydrate(item))


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The loosest umask: the modes the sink sets must not depend on it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def test_a_symlink_is_followed_and_stays_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "volume" / "metadata.json"
    target.parent.mkdir()
    link = tmp_path / "metadata.json"
    link.symlink_to(target)
    emit(transport(link))
    assert link.is_symlink() and link.resolve() == target
    assert target.is_file() and file_proposals(target)
    first = len(file_proposals(target))
    emit(transport(link))  # again: the link still leads to the one file, which grows
    assert link.is_symlink() and link.resolve() == target
    assert len(file_proposals(target)) > first


def test_a_dangling_symlink_makes_its_target(tmp_path: Path) -> None:
    target = tmp_path / "later" / "metadata.json"
    link = tmp_path / "metadata.json"
    link.symlink_to(target)
    emit(transport(link))
    assert link.is_symlink() and target.is_file() and file_proposals(target)


@pytest.mark.parametrize("through_link", [False, True], ids=["folder", "symlink-to-folder"])
def test_a_folder_is_refused_when_the_transport_is_built(
    tmp_path: Path, through_link: bool
) -> None:
    folder = tmp_path / "lineage"
    folder.mkdir()
    given = folder
    if through_link:
        given = tmp_path / "link"
        given.symlink_to(folder, target_is_directory=True)
    with pytest.raises(ValueError, match="is a folder; name a file") as raised:
        transport(given)
    assert str(given) in str(raised.value)
    assert list(folder.iterdir()) == []


def test_a_fifo_is_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "metadata.json"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match=r"'filename' .*metadata.json' is not a regular file"):
        transport(fifo)


def test_a_file_in_the_way_of_the_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("not a folder")
    with pytest.raises(ValueError, match=r"cannot be created: .*plain' is not a folder"):
        transport(tmp_path / "plain" / "deeper" / "metadata.json")


@pytest.mark.usefixtures("open_umask")
def test_the_file_its_lock_and_new_folders_are_the_owners(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    path = shared / "a" / "b" / "metadata.json"
    emit(transport(path))
    assert mode(path) == 0o600
    assert mode(path.with_name("metadata.json.lock")) == 0o600
    assert (mode(shared / "a"), mode(shared / "a" / "b")) == (0o700, 0o700)
    assert mode(shared) == 0o755  # a folder that was there is not the sink's to change


@pytest.mark.usefixtures("open_umask")
def test_a_file_made_before_is_tightened_at_the_next_write(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    path.write_text("[]\n")
    path.chmod(0o644)
    lock = tmp_path / "metadata.json.lock"
    lock.touch(mode=0o666)
    emit(transport(path))
    assert (mode(path), mode(lock)) == (0o600, 0o600)
    assert file_proposals(path)
