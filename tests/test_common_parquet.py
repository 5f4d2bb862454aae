"""ParquetRowWriter (common/parquet.py): row groups and content hashes, by rows and by columns."""

from __future__ import annotations

import datetime as dt
import json
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from extraction_fixtures import extract_folder, make_text_corpus, set_file_time
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.row_hash import hash_value
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


_VARIED = pa.schema(
    [
        ("name", pa.string()),
        ("count", pa.int64()),
        ("ids", pa.list_(pa.int32())),
        ("names", pa.list_(pa.string())),
        ("at", pa.timestamp("us")),
        ("meta", pa.struct([("b", pa.int64()), ("a", pa.string())])),
        ("score", pa.float64()),
    ]
)


def _varied_rows(count: int, nulls: bool = True) -> list[dict[str, Any]]:
    """Rows with every kind of value the hash treats apart: text, numbers, lists, nulls, dates.

    Without ``nulls``, the text, integer and list-of-integer columns hold none, so that
    ``add_rows`` takes its Arrow-formatted path for them (a null sends a column to
    ``_hash_value``).
    """
    rng = random.Random(15)
    rows = []
    for index in range(count):
        ids = [rng.randint(-(2**31), 2**31 - 1) for _ in range(rng.randint(0, 40))]
        rows.append(
            {
                "name": rng.choice(
                    [None, "", 'é\u2028"quoted"\n', "x" * rng.randint(1, 50)][int(not nulls) :]
                ),
                "count": rng.choice([None, 0, -7, 2**40, index][0 if nulls else 1 :]),
                "ids": rng.choice([ids, ids, [], None, [1, None, 3]][: 5 if nulls else 3]),
                "names": rng.choice([None, [], ["a", "ü\\", None]]),
                "at": rng.choice([None, dt.datetime(2026, 11, 28, 5, index % 60, 1, 123)]),
                "meta": rng.choice([None, {"b": index, "a": "z"}, {"b": None, "a": None}]),
                "score": rng.choice([None, 0.5, -1e300, float(index)]),
            }
        )
    return rows


def _write(
    path: Path, schema: pa.Schema, chunks: list[list[dict[str, Any]]], **kwargs: Any
) -> WrittenFile:
    """Odd-numbered chunks go through ``add_rows`` (column-wise), the others through ``add``."""
    writer = ParquetRowWriter(path, schema, **kwargs)
    for number, rows in enumerate(chunks):
        if number % 2:
            writer.add_rows({name: [row[name] for row in rows] for name in schema.names})
        else:
            for row in rows:
                writer.add(row)
    return writer.close()


@pytest.mark.parametrize("nulls", [True, False])
@pytest.mark.parametrize(
    ("sizes", "kwargs"),
    [
        ([0, 50], {"group_rows": 7}),
        ([3, 10, 0, 25, 1, 40], {"group_rows": 7}),
        ([5, 60, 2, 33], {"group_rows": 1000, "group_bytes": 300}),
    ],
)
def test_add_rows_writes_the_rows_groups_and_hash_that_add_writes(
    tmp_path: Path, sizes: list[int], kwargs: dict[str, Any], nulls: bool
) -> None:
    rows = _varied_rows(sum(sizes), nulls)
    chunks, start = [], 0
    for size in sizes:
        chunks.append(rows[start : start + size])
        start += size

    by_row = _write(tmp_path / "by_row.parquet", _VARIED, [rows], **kwargs)
    by_column = _write(tmp_path / "by_column.parquet", _VARIED, chunks, **kwargs)

    assert by_column.content_hash == by_row.content_hash
    assert by_column.rows == by_row.rows == len(rows)
    expected, written = pq.ParquetFile(by_row.uri), pq.ParquetFile(by_column.uri)
    assert written.read().equals(expected.read())
    assert [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)] == [
        expected.metadata.row_group(i).num_rows for i in range(expected.num_row_groups)
    ]
    assert written.num_row_groups > 1


def test_add_rows_hash_changes_with_one_token(tmp_path: Path) -> None:
    rows = [row | {"ids": [1, 2, 3]} for row in _varied_rows(20, nulls=False)]
    changed = [dict(row) for row in rows]
    changed[13]["ids"] = [1, 2, 4]
    first = _write(tmp_path / "a.parquet", _VARIED, [[], rows])
    second = _write(tmp_path / "b.parquet", _VARIED, [[], changed])
    assert first.content_hash != second.content_hash


def test_add_rows_refuses_a_writer_that_hashes_only_part_of_a_row(tmp_path: Path) -> None:
    writer = ParquetRowWriter(tmp_path / "t.parquet", _VARIED, content=lambda row: {})
    with pytest.raises(ValueError, match="content"):
        writer.add_rows({name: [] for name in _VARIED.names})
    writer.abort()


class _FailingWrites:
    """A ParquetWriter whose row-group writes fail after ``good`` of them (a full disk)."""

    def __init__(self, real: pq.ParquetWriter, good: int) -> None:
        self.real, self.good, self.closed = real, good, False

    def write_table(self, table: pa.Table, row_group_size: int | None = None) -> None:
        if self.good == 0:
            raise OSError(28, "No space left on device")
        self.good -= 1
        self.real.write_table(table, row_group_size)

    def add_key_value_metadata(self, metadata: dict[str, str]) -> None:
        self.real.add_key_value_metadata(metadata)

    def close(self) -> None:
        self.closed = True
        self.real.close()


def _writer_of_numbers(path: Path, good: int) -> tuple[ParquetRowWriter, _FailingWrites]:
    writer = ParquetRowWriter(path, pa.schema([("n", pa.int64())]), group_rows=2)
    failing = _FailingWrites(writer._writer, good)
    writer._writer = failing  # type: ignore[assignment]
    return writer, failing


def test_row_groups_written_in_the_background_keep_their_order_and_hash(tmp_path: Path) -> None:
    """Groups are written by a thread while rows are added: the same file as written in line."""
    writer, _ = _writer_of_numbers(tmp_path / "n.parquet", good=100)
    for n in range(9):
        writer.add({"n": n})
    written = writer.close()

    table = pq.read_table(tmp_path / "n.parquet")
    assert table.column("n").to_pylist() == list(range(9))
    metadata = pq.ParquetFile(tmp_path / "n.parquet").metadata
    assert [metadata.row_group(i).num_rows for i in range(metadata.num_row_groups)] == [
        2, 2, 2, 2, 1
    ]  # fmt: skip
    again = ParquetRowWriter(tmp_path / "m.parquet", pa.schema([("n", pa.int64())]), group_rows=9)
    for n in range(9):
        again.add({"n": n})
    assert again.close().content_hash == written.content_hash


def test_a_failed_background_write_is_raised_by_the_next_flush_or_close(tmp_path: Path) -> None:
    writer, failing = _writer_of_numbers(tmp_path / "n.parquet", good=1)
    writer.add({"n": 0})
    writer.add({"n": 1})  # the first group: written
    writer.add({"n": 2})
    writer.add({"n": 3})  # the second group: its write fails in the thread
    writer.add({"n": 4})
    with pytest.raises(OSError, match="No space left"):
        writer.add({"n": 5})  # the third group waits for the second: the error surfaces here
    writer.abort()
    assert failing.closed

    writer, failing = _writer_of_numbers(tmp_path / "m.parquet", good=0)
    writer.add({"n": 0})
    writer.add({"n": 1})
    with pytest.raises(OSError, match="No space left"):
        writer.close()
    writer.abort()  # nothing left to raise; the file is closed
    assert failing.closed


_FIRST_CONVERSION = r"""
import sys, threading
from pathlib import Path
import pyarrow as pa
from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.common.row_hash import hash_value
imported_by = []
class Watch:  # notes which thread imports pandas
    def find_spec(self, name, path=None, target=None):
        if name == "pandas":
            imported_by.append(threading.current_thread() is threading.main_thread())
        return None
sys.meta_path.insert(0, Watch())
assert "pandas" not in sys.modules
writer = ParquetRowWriter(Path(sys.argv[1]), pa.schema([("n", pa.int64())]))
writer._written.wait()  # the writer's first conversion, before any row
print(imported_by, "pandas" in sys.modules)
writer.add({"n": 1})
writer.close()
"""


def test_pyarrows_first_conversion_is_made_by_a_thread_before_the_first_row(
    tmp_path: Path,
) -> None:
    """pyarrow imports pandas at its first conversion of Python values (0.3 to 0.5 s): a new
    writer has a thread do it, so that a fresh task process does not wait for it at its first
    row group."""
    pytest.importorskip("pandas")
    shown = subprocess.run(
        [sys.executable, "-c", _FIRST_CONVERSION, str(tmp_path / "n.parquet")],
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.split("\n")[0] == "[False] True", shown.stdout + shown.stderr
    assert pq.read_table(tmp_path / "n.parquet").column("n").to_pylist() == [1]


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        1,
        -7,
        2**80,
        -(2**70),
        3.5,
        -0.0,
        [1, 2],
        ["a", None],
        {"b": 1, "a": 2},
    ],
)
def test_a_value_enters_the_hash_as_json_writes_it(value: Any) -> None:
    """The look-ups for ints and the constants give the bytes ``json.dumps`` gives: the content
    hashes, and with them the dataset versions, stay those of earlier releases."""
    assert hash_value(value) == json.dumps(value, sort_keys=True, default=str).encode()
    assert hash_value(value) == hash_value(json.loads(json.dumps(value)))
