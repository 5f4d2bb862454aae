"""Airflow Assets when the DAG is parsed: each task's alias, inlets for fixed inputs, URIs, extras.

Nothing here runs a DAG; what a real run records is in ``test_assets_pipeline.py``.
"""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest
from airflow.sdk import DAG, Asset, AssetAlias

from llm_lineage.hooks.storage import location_uri, storage_path
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.operators.assets import MAX_SOURCES, training_assets
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.tokenization import TokenizationOperator
from llm_lineage.operators.validation import InvalidParameterError


def test_operators_declare_their_alias_and_fixed_inputs_when_parsed() -> None:
    with DAG("parsed", schedule=None):
        extract = DocumentExtractionOperator(
            task_id="extract", source="s3://user:pw@corpus/docs/", destination="/out/x"
        )
        tokenize = TokenizationOperator(
            task_id="tokenize", source="/out/x", destination="/out/t", tokenizer="gpt2"
        )
        hub = LoRAFineTuningOperator(
            task_id="hub", dataset="/out/t", base_model="org/model", output="/out/a"
        )
        local = LoRAFineTuningOperator(
            task_id="local", dataset="/out/t", base_model="/models/base/", output="/out/b"
        )
    for task in (extract, tokenize, hub, local):
        assert task.outlets == [AssetAlias(f"llm-lineage:parsed.{task.task_id}")]
        assert [link.name for link in task.operator_extra_links] == ["Lineage in catalog"]
    assert [a.uri for a in extract.inlets] == ["s3://corpus/docs"]  # no credentials
    assert tokenize.inlets == []  # the text is extraction's output asset
    assert [a.uri for a in hub.inlets] == ["https://huggingface.co/org/model"]
    assert local.inlets == [Asset(name="file:///models/base", uri="file:///models/base")]


@pytest.mark.parametrize(
    ("source", "base_model"),
    [
        ("{{ params.source }}", "{{ ti.xcom_pull(task_ids='base') }}"),
        ("corpus", "./model"),
        ("nofs://bucket/docs", "/" + "m" * 1600),
    ],
)
def test_inputs_not_fixed_at_parse_time_get_no_inlet(source: str, base_model: str) -> None:
    """Templated, relative to a worker's folder, or no asset Airflow or fsspec can take.

    None of these may stop the DAG from loading: the run reports them.
    """
    with DAG("parsed", schedule=None):
        extract = DocumentExtractionOperator(task_id="e", source=source, destination="/out")
        train = LoRAFineTuningOperator(
            task_id="t", dataset="/out/t", base_model=base_model, output="/out/a"
        )
    assert extract.inlets == [] and train.inlets == []


def test_an_inlet_the_dag_names_itself_is_kept() -> None:
    mine = Asset("contracts", uri="file:///data/contracts")
    with DAG("parsed", schedule=None):
        extract = DocumentExtractionOperator(
            task_id="e", source="/data/contracts/", destination="/out", inlets=[mine]
        )
    assert extract.inlets == [mine]


def test_parse_time_checks_are_unchanged_and_touch_no_storage() -> None:
    with pytest.raises(InvalidParameterError, match="parameter 'on_error'"):
        DocumentExtractionOperator(task_id="e", source="/x", destination="/y", on_error="ignore")
    with DAG("parsed", schedule=None):  # no gcsfs installed, no connection: names only
        extract = DocumentExtractionOperator(
            task_id="e", source="gs://bucket/docs", destination="/y", source_conn_id="missing"
        )
    assert [a.uri for a in extract.inlets] == ["gs://bucket/docs"]
    lone = DocumentExtractionOperator(task_id="lone", source="/x", destination="/y")
    assert lone.outlets == []  # no DAG yet: the alias is added when it runs


@pytest.mark.parametrize(
    "path",
    ["/data/plain/text.parquet", "/data/a b/100%/x#y?z.parquet", "/data/café\nneu/t", "/"],
)
def test_airflow_keeps_lineage_uris_of_local_files(path: str) -> None:
    uri = dataset_id(path).uri
    assert Asset(name=uri, uri=uri).uri == uri
    assert dataset_id(uri).location == dataset_id(path).name
    assert dataset_id(location_uri(storage_path(dataset_id(uri).location))) == dataset_id(path)


@pytest.mark.parametrize(
    "location", ["s3://bucket/key/tokens.parquet", "gs://b/a b/100%/t", "s3://bucket/"]
)
def test_airflow_keeps_lineage_uris_of_objects(location: str) -> None:
    identity = dataset_id(location)
    assert Asset(name=identity.uri, uri=identity.uri).uri == identity.uri
    assert dataset_id(identity.location) == identity


def test_training_extra_is_json_without_unknowns_and_bounded() -> None:
    """A NaN loss or a missing version is left out; at most MAX_SOURCES token files, then the base."""
    shards = [f"/t/{i}/tokens.parquet" for i in range(MAX_SOURCES + 5)]
    run = SimpleNamespace(
        plan=SimpleNamespace(datasets=tuple(shards), output="/out/adapter"),
        infos=[SimpleNamespace(content_hash=None if i == 0 else f"v{i}") for i in range(25)],
        base=SimpleNamespace(
            location="https://huggingface.co/org/m", fingerprint="f" * 64, model_type="gpt2"
        ),
        result=SimpleNamespace(
            output=SimpleNamespace(content_hash="a" * 64),
            steps=3,
            tokens_seen=96,
            loss_first=math.nan,
            loss_last=1.5,
        ),
    )
    base, update = training_assets(run)
    assert (base.uri, base.input) == ("https://huggingface.co/org/m", True)
    assert base.extra == {"version": "f" * 64, "model_type": "gpt2"}
    assert update.uri == "file:///out/adapter" and not update.input
    json.dumps(update.extra, allow_nan=False)
    assert "loss_first" not in update.extra and update.extra["loss_last"] == 1.5
    sources = update.extra["sources"]
    assert len(sources) == MAX_SOURCES + 1
    assert sources[0] == {"uri": "file:///t/0/tokens.parquet"}
    assert sources[-1] == {"uri": "https://huggingface.co/org/m", "version": "f" * 64}
