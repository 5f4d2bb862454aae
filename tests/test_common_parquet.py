"""ParquetRowWriter (common/parquet.py) as extraction drives it: row groups and content hashes."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from extraction_fixtures import (
    extract_folder,
    make_text_corpus,
    mixed_fixture,  # noqa: F401
    set_file_time,
)
from llm_lineage.extraction import MANIFEST_FILE, TEXT_FILE


def test_row_groups_follow_row_group_rows(tmp_path: Path) -> None:
    source = make_text_corpus(tmp_path / "corpus", 10)
    out = tmp_path / "out"

    result = extract_folder(source, out, row_group_rows=3)

    for name in (TEXT_FILE, MANIFEST_FILE):
        metadata = pq.ParquetFile(out / name).metadata
        assert metadata.num_row_groups == 4
        assert metadata.num_rows == 10
        sizes = [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)]
        assert sizes == [3, 3, 3, 1]
    assert result.text_output is not None and result.text_output.rows == 10


def test_rerun_is_stable_and_a_changed_document_changes_the_hashes(
    mixed: Path, tmp_path: Path
) -> None:
    first = extract_folder(mixed, tmp_path / "out1")
    second = extract_folder(mixed, tmp_path / "out2")
    assert first.text_output is not None and first.manifest_output is not None
    assert second.text_output is not None and second.manifest_output is not None

    assert second.text_output.content_hash == first.text_output.content_hash
    assert second.manifest_output.content_hash == first.manifest_output.content_hash
    assert second.summary.collection_version == first.summary.collection_version
    assert len(first.summary.collection_version) == 64

    (mixed / "plain.txt").write_text("Plain text body, edited.\n", encoding="utf-8")
    set_file_time(mixed / "plain.txt")  # same time: the content alone must tell
    third = extract_folder(mixed, tmp_path / "out3")
    assert third.text_output is not None and third.manifest_output is not None

    assert third.text_output.content_hash != first.text_output.content_hash
    assert third.manifest_output.content_hash != first.manifest_output.content_hash
    assert third.summary.collection_version != first.summary.collection_version
