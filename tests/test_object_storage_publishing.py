"""Publishing on real object storage: what a reader polling S3 sees, and downloads alike named.

These run in this process against moto's S3 server (``s3_fixtures.py``) on 127.0.0.1: what a
reader polling the output prefix sees while a unit is published, and local copies of files
with one name that must not collide. The whole pipeline on S3 is in
``test_object_storage_pipeline.py``.
"""

from __future__ import annotations

import io
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llm_lineage.hooks.publishing import publication
from llm_lineage.hooks.storage import local_copy, storage_path
from llm_lineage.hooks.tokenization import SourceError, TokenizerHook
from llm_lineage.storage.locks import LOCK_NAME, DestinationBusy
from llm_lineage.storage.run_ids import RUN_ID_KEY
from s3_fixtures import BUCKET, CONN_ID, S3

pytestmark = pytest.mark.dag

UNIT = ("text.parquet", "manifest.parquet")


def write_unit(folder: Path, run_id: str, rows: int) -> None:
    """A text/manifest pair of ``rows`` rows, the run id in both footers, as a step writes it."""
    table = pa.table({"doc_id": [f"doc-{i}" for i in range(rows)]})
    for name in UNIT:
        pq.write_table(table.replace_schema_metadata({RUN_ID_KEY: run_id}), folder / name)


@dataclass
class Observation:
    """One poll of the output prefix: the names listed, and each file's run id and rows."""

    listed: frozenset[str]
    read: dict[str, tuple[str, int] | None]


def poll(client: Any, prefix: str) -> Observation:
    """List the prefix, then read the text and then the manifest, as a consumer opens them.

    Each object is parsed as whole Parquet: a partial object would fail here.
    """
    listing = client.list_objects_v2(Bucket=BUCKET, Prefix=f"{prefix}/")
    listed = frozenset(item["Key"].rsplit("/", 1)[1] for item in listing.get("Contents", []))
    read: dict[str, tuple[str, int] | None] = {}
    for name in UNIT:
        try:
            body = client.get_object(Bucket=BUCKET, Key=f"{prefix}/{name}")["Body"].read()
        except client.exceptions.NoSuchKey:
            read[name] = None
            continue
        table = pq.read_table(io.BytesIO(body))
        read[name] = (table.schema.metadata[RUN_ID_KEY.encode()].decode(), table.num_rows)
    return Observation(listed, read)


def between_uploads(destination_url: str) -> tuple[str, str]:
    """What a consumer and a second writer get while a unit is half uploaded."""
    try:
        TokenizerHook(source_conn_id=CONN_ID, hook_lineage=False).source_path(destination_url)
        consumer = "accepted"
    except SourceError as error:
        consumer = str(error)
    try:
        with publication(storage_path(destination_url, CONN_ID), UNIT, owner="second writer"):
            writer = "published"
    except DestinationBusy as error:
        writer = str(error)
    return consumer, writer


def mixed_states(seen: list[Observation], runs: dict[str, int]) -> int:
    """Check every poll against what a publish on S3 promises; count the half-published ones.

    ``runs`` maps each run id, in publish order, to the rows its unit holds.
    """
    order = list(runs)
    assert {name for o in seen for name in o.listed} <= {*UNIT, LOCK_NAME}  # nothing temporary
    mixed = 0
    for observation in seen:
        text, manifest = observation.read["text.parquet"], observation.read["manifest.parquet"]
        for found in (text, manifest):
            assert found is None or runs[found[0]] == found[1]  # whole, and of one run
        assert text is None or manifest is not None  # the text appears last
        if text and manifest:
            assert order.index(text[0]) <= order.index(manifest[0])  # never newer than it
            mixed += text[0] != manifest[0]
    return mixed


def test_a_reader_polling_s3_during_publishes_sees_whole_objects_and_never_a_newer_text(
    s3: S3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a publish on S3 guarantees, shown by a reader polling the prefix throughout.

    S3 cannot replace two objects at once, so a unit is uploaded one file at a time under the
    destination's lock, the text last. Each upload is slowed (as a large text.parquet would be)
    so the reader sees every state. It must see only whole objects of one run each, no staging
    or temporary objects under the prefix, never a text without its manifest or newer than it;
    and while the pair is mixed, tokenization refuses it (naming the run publishing) and a
    second writer fails fast.
    """
    prefix, url = "publish", f"s3://{BUCKET}/publish"
    destination = storage_path(url, CONN_ID)
    real_put = destination.fs.put_file
    halfway: list[tuple[str, str]] = []

    def slow_put(local: str, remote: str, *args: Any, **kwargs: Any) -> Any:
        uploaded = real_put(local, remote, *args, **kwargs)
        if remote.endswith("manifest.parquet"):
            halfway.append(between_uploads(url))
            time.sleep(0.3)
        return uploaded

    monkeypatch.setattr(destination.fs, "put_file", slow_put)
    seen: list[Observation] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.append(poll(s3.client, prefix))

    reader = threading.Thread(target=read)
    reader.start()
    runs: dict[str, int] = {}
    for rows in (3, 5, 7, 9):
        with publication(destination, UNIT, lock_timeout=30) as unit:
            write_unit(unit.output, unit.run_id, rows)
            unit.publish(last="text.parquet")
            runs[unit.run_id] = rows
    stop.set()
    reader.join(30)
    order = list(runs)
    assert len(seen) > 20
    assert mixed_states(seen, runs) > 0  # the reader did see a half-published unit
    assert seen[-1].read == {name: (order[-1], runs[order[-1]]) for name in UNIT}
    first, *later = halfway
    assert "does not exist" in first[0]
    assert all("is publishing into it now" in consumer for consumer, _ in later)
    assert all("is held by" in writer for _, writer in halfway)


def test_downloads_of_files_with_one_name_do_not_collide(s3: S3, tmp_path: Path) -> None:
    """Shards of a mapped tokenization are all ``tokens.parquet``; training downloads each."""
    shards = []
    for shard, rows in (("a", 2), ("b", 5)):
        key = f"shards/{shard}/tokens.parquet"
        sink = io.BytesIO()
        pq.write_table(pa.table({"input_ids": [[rows]] * rows}), sink)
        s3.client.put_object(Bucket=BUCKET, Key=key, Body=sink.getvalue())
        shards.append(storage_path(f"s3://{BUCKET}/{key}", CONN_ID))
    copies = [local_copy(path, tmp_path) for path in shards]
    assert len(set(copies)) == 2
    assert [pq.read_metadata(copy).num_rows for copy in copies] == [2, 5]
    assert all(copy.name == "tokens.parquet" and copy.is_relative_to(tmp_path) for copy in copies)
