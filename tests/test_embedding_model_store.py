"""Embedding models in object storage: downloaded once per worker, named by URI, content-hashed.

moto's S3 server (``s3_fixtures.py``) runs in this process; its request log counts the object
reads it answered (``Requests`` from test_model_store.py), so "reads nothing again" is measured
at the server. The tiny sentence-transformers model has a subfolder (``1_Pooling/``), which the
copy must bring along for the model to load.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from openlineage.client.event_v2 import RunState

from lineage_fixtures import step_event
from llm_lineage.embedding import EmbeddingModelError, EmbeddingSettings, resolve_model
from llm_lineage.embedding.loader import DEFINING_SUFFIXES
from llm_lineage.hooks.embedding import EmbeddingHook
from llm_lineage.lineage.embedding import embedding_lineage
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.operators.embedding import EmbeddingOperator
from s3_fixtures import BUCKET, CONN_ID, S3, Requests
from tokenizers_fixtures import write_text_parquet

SETTINGS = EmbeddingSettings(chunk_tokens=16, overlap_tokens=4, device="cpu")


def upload_tree(s3: S3, folder: Path, prefix: str) -> str:
    """Every file under ``folder``, subfolders included, under ``prefix``."""
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = f"{prefix}/{path.relative_to(folder).as_posix()}"
        s3.client.put_object(Bucket=BUCKET, Key=key, Body=path.read_bytes())
    return f"s3://{BUCKET}/{prefix}"


def _text(tmp_path: Path) -> Path:
    documents = [("a", "the quick brown fox jumps over the lazy dog " * 6), ("b", "a short one")]
    return write_text_parquet(tmp_path / "text" / "text.parquet", documents)


def test_model_is_read_once_per_worker_and_named_by_its_uri(
    s3: S3,
    tiny_model: Path,
    worker_cache: Path,
    moto_requests: Requests,
    tmp_path: Path,
) -> None:
    """A second embed (a new hook) reads no model object; lineage names the URI; events validate."""
    uri = upload_tree(s3, tiny_model, "models/embed-once")
    local = resolve_model(tiny_model)
    source = _text(tmp_path)
    runs = []
    for attempt in ("first", "second"):
        hook = EmbeddingHook(model_conn_id=CONN_ID, destination_conn_id=CONN_ID)
        plan = hook.plan(source, f"s3://{BUCKET}/embedded/{attempt}", uri, SETTINGS)
        assert plan.model_location == uri
        runs.append(hook.embed(plan))
        if attempt == "first":
            read_first = moto_requests.object_reads("models/embed-once/")
    defining = [p for p in tiny_model.rglob("*") if p.is_file() and p.suffix in DEFINING_SUFFIXES]
    assert len(read_first) == len(defining) == local.files  # the README is not read
    assert any("/1_Pooling/" in p for p in read_first)
    assert moto_requests.object_reads("models/embed-once/") == read_first  # nothing read again
    first, second = (run.done.model.files for run in runs if run.done.model)
    assert first.fingerprint == second.fingerprint == local.fingerprint  # content only
    assert (first.source, first.location) == (uri, uri)
    assert Path(first.path).is_relative_to(worker_cache) and first.path == second.path
    assert dataset_id(uri).uri == uri
    for run in runs:
        start = step_event(embedding_lineage(run.plan), RunState.START, "embed")
        complete = step_event(embedding_lineage(run.plan, run.done), RunState.COMPLETE, "embed")
        for event in (start, complete):
            model = event["inputs"][1]
            assert (model["namespace"], model["name"]) == (f"s3://{BUCKET}", "models/embed-once")
        assert complete["inputs"][1]["facets"]["version"]["datasetVersion"] == local.fingerprint
    assert runs[0].done.result and runs[1].done.result
    assert runs[0].done.result.output and runs[1].done.result.output
    assert runs[0].done.result.output.content_hash == runs[1].done.result.output.content_hash


def test_missing_model_folder_is_a_clear_error(
    s3: S3,
    worker_cache: Path,
) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="models/embed-notes/readme.md", Body=b"no model")
    hook = EmbeddingHook(model_conn_id=CONN_ID)
    for prefix in ("models/embed-absent", "models/embed-notes"):
        with pytest.raises(EmbeddingModelError, match=f"embedding model s3://{BUCKET}/{prefix} "):
            hook.resolve_model(f"s3://{BUCKET}/{prefix}")
    s3.client.put_object(Bucket=BUCKET, Key="models/embed-config/config.json", Body=b"{}")
    with pytest.raises(EmbeddingModelError, match="has no weights"):
        hook.resolve_model(f"s3://{BUCKET}/models/embed-config")


class _TaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_operator_embeds_with_a_model_from_the_store(
    s3: S3,
    tiny_model: Path,
    worker_cache: Path,
    tmp_path: Path,
) -> None:
    """Connection ids are templated; a rendered "" is no connection, as for the other steps."""
    uri = upload_tree(s3, tiny_model, "models/embed-operator")
    operator = EmbeddingOperator(
        task_id="embed",
        source=str(_text(tmp_path).parent),
        destination=str(tmp_path / "embedded"),
        model=uri,
        model_conn_id=CONN_ID,
        source_conn_id="",
        destination_conn_id="",
        chunk_tokens=16,
        overlap_tokens=4,
        device="cpu",
    )
    assert {"source_conn_id", "destination_conn_id", "model_conn_id"} <= set(
        operator.template_fields
    )
    hook = operator._make_hook()
    assert (hook.source_conn_id, hook.destination_conn_id) == (None, None)
    assert hook.model_conn_id == CONN_ID
    start = operator.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in start.inputs][1] == (
        f"s3://{BUCKET}",
        "models/embed-operator",
    )
    result = operator.execute({"ti": _TaskInstance()})  # type: ignore[typeddict-item]
    assert result["model_fingerprint"] == resolve_model(tiny_model).fingerprint
    assert pq.read_table(tmp_path / "embedded" / "embeddings.parquet").num_rows == result["chunks"]
    complete = operator.get_openlineage_facets_on_complete(None)
    assert complete.inputs[1].name == "models/embed-operator"
