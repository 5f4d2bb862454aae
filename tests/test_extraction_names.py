"""File names that are not UTF-8, or otherwise odd, through the listing and the engine.

``extraction/names.py`` keeps a name's bytes where they must be exact and shows readable text
elsewhere; these tests read real files on disk, named as the OS allows, and check that every
one is read and recorded, that the URI gives the exact bytes back, and that recording a failed
document cannot fail the run, whatever its error message holds.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from extraction_fixtures import ListLogger, extract_folder
from llm_lineage.extraction import (
    MANIFEST_FILE,
    TEXT_FILE,
    ExtractionSettings,
    SourceDocument,
    extract_corpus,
    local_documents,
)
from llm_lineage.extraction.names import name_bytes, readable
from odd_names_fixtures import ODD_NAMES, PLAIN, make_odd_names_corpus, odd_path, uri_bytes

LATIN_1 = "R\udce9sum\udce9.txt"  # b"R\xe9sum\xe9.txt" as os.listdir gives it


@pytest.mark.parametrize(
    ("name", "shown", "raw"),
    [
        ("plain.txt", "plain.txt", b"plain.txt"),
        ("caf\u00e9.txt", "caf\u00e9.txt", "caf\u00e9.txt".encode()),
        (LATIN_1, "R\\xe9sum\\xe9.txt", b"R\xe9sum\xe9.txt"),
        ("bad\ud800.txt", "bad\\xed\\xa0\\x80.txt", b"bad\xed\xa0\x80.txt"),  # not an escape
    ],
    ids=["ascii", "utf-8", "latin-1", "lone-surrogate"],
)
def test_names_keep_their_bytes_and_show_as_text(name: str, shown: str, raw: bytes) -> None:
    assert name_bytes(name) == raw
    assert readable(name) == shown
    readable(name).encode("utf-8")  # every writer takes it


def test_a_latin_1_name_among_good_files_is_read(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.txt").write_text("A good name.")
    odd_path(corpus, b"R\xe9sum\xe9.txt").write_text("Curriculum.")
    result = extract_folder(corpus, tmp_path / "out")
    assert (result.summary.documents, result.failure_count) == (2, 0)
    rows = pq.read_table(tmp_path / "out" / MANIFEST_FILE).to_pylist()
    assert [row["relative_path"] for row in rows] == ["R\\xe9sum\\xe9.txt", "good.txt"]
    assert rows[0]["source_uri"] == (corpus.as_uri() + "/R%E9sum%E9.txt")
    assert rows[0]["doc_id"] == hashlib.sha256(b"R\xe9sum\xe9.txt").hexdigest()[:16]
    # a valid name's id is what it always was: the sha256 of its UTF-8
    assert rows[1]["doc_id"] == hashlib.sha256(b"good.txt").hexdigest()[:16]


def test_every_odd_name_is_read_with_an_exact_uri(tmp_path: Path) -> None:
    corpus = make_odd_names_corpus(tmp_path / "corpus")
    logger = ListLogger()
    result = extract_folder(corpus, tmp_path / "out", logger, workers=0)
    assert (result.summary.documents, result.failure_count) == (len(ODD_NAMES) + 1, 0)
    rows = pq.read_table(tmp_path / "out" / TEXT_FILE).to_pylist()
    base = os.fsencode(corpus) + b"/"
    texts = {uri_bytes(row["source_uri"])[len(base) :]: row["text"] for row in rows}
    assert set(texts) == {*ODD_NAMES, PLAIN}
    for name, written in ODD_NAMES.items():
        if name.endswith(b".txt"):
            assert texts[name] == written, name
    assert {row["relative_path"] for row in rows} == {
        name.decode("utf-8", "backslashreplace") for name in [*ODD_NAMES, PLAIN]
    }
    assert len({row["doc_id"] for row in rows}) == len(rows)
    assert all("\n" not in line for line in logger.infos + logger.warnings)


def test_names_that_read_alike_stay_apart(tmp_path: Path) -> None:
    """``R\\xe9.txt`` (undecodable byte) and a file literally named so: two documents."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    odd_path(corpus, b"R\xe9.txt").write_text("Byte name.")
    (corpus / "R\\xe9.txt").write_text("Backslash name.")
    result = extract_folder(corpus, tmp_path / "out")
    rows = pq.read_table(tmp_path / "out" / TEXT_FILE).to_pylist()
    assert [row["relative_path"] for row in rows] == ["R\\xe9.txt", "R\\xe9.txt"]
    assert len({row["doc_id"] for row in rows}) == 2
    assert len({row["source_uri"] for row in rows}) == 2
    assert result.summary.documents == 2


def test_the_collection_version_follows_the_name_bytes(tmp_path: Path) -> None:
    versions = []
    for name in (b"R\xe9.txt", b"R\xe8.txt"):
        corpus = tmp_path / name.hex()
        corpus.mkdir()
        odd_path(corpus, name).write_text("Same text.")
        versions.append(extract_folder(corpus, tmp_path / f"out-{name.hex()}").summary)
    assert versions[0].collection_version != versions[1].collection_version


def _failing_read(limit: int) -> bytes:
    raise OSError(f"cannot read s3://bucket/{LATIN_1}: access denied")  # quotes the raw key


@pytest.mark.parametrize("on_error", ["skip", "fail"])
def test_recording_a_failure_that_quotes_an_undecodable_name_never_fails(
    tmp_path: Path, on_error: str
) -> None:
    """A storage error that quotes the key as the OS decoded it is recorded, readable."""
    good = tmp_path / "good.txt"
    good.write_text("Readable.")
    listed = local_documents(good, ["*.txt"])
    broken = SourceDocument(
        uri="s3://bucket/R%E9sum%E9.txt",
        relative_path=LATIN_1,
        size=10,
        mtime=None,
        read=_failing_read,
    )
    settings = ExtractionSettings(workers=0, on_error=on_error)
    out = tmp_path / "out"
    out.mkdir()
    logger = ListLogger()
    try:
        result = extract_corpus([broken, *listed], "s3://bucket", out, settings, logger)
    except Exception as error:  # on_error="fail" stops, with the failure recorded
        assert on_error == "fail", error
        assert "R\\xe9sum\\xe9.txt: access denied" in str(error)
        result = error.result  # type: ignore[attr-defined]
    [failure] = result.failures
    assert failure.reason == "OSError: cannot read s3://bucket/R\\xe9sum\\xe9.txt: access denied"
    assert failure.relative_path == "R\\xe9sum\\xe9.txt"
    assert logger.warnings == [f"Skipping s3://bucket/R%E9sum%E9.txt: {failure.reason}"]
    if on_error == "skip":
        manifest = pq.read_table(out / MANIFEST_FILE).to_pylist()
        assert [row["error"] for row in manifest] == [failure.reason, None]
