"""The example pipeline on S3 with the documented conf: nothing it needs stays on a worker's disk.

moto's S3 server (``s3_fixtures.py``) runs on 127.0.0.1 and an ``aws_default`` connection reaches
it, the connection the examples default to for ``s3://`` (docs/getting-started.md advises creating
it). The run is triggered with the conf that page shows, read from it, and nothing else: documents read from the bucket, the
tiny base model built into the output prefix (not at a relative ``s3:/...`` folder in the
worker's working directory), read back from there by ``tokenize`` and ``fine_tune`` through the
model cache, and lineage naming it by its ``s3://`` URI with the same content fingerprint as a
local copy's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

import llm_lineage
from conftest import TESTS, RunDag, assert_no_asset_errors
from llm_lineage.training import resolve_base_model
from s3_fixtures import ACCESS_KEY, BUCKET, S3, SECRET_KEY

pytestmark = pytest.mark.dag

EXAMPLES = TESTS.parent / "example_dags"
CORPUS = EXAMPLES / "data" / "sample_corpus"
PAGE = TESTS.parent / "docs" / "getting-started.md"


def page_conf() -> dict[str, str]:
    """The conf the getting-started page shows for S3 (no connection id), its bucket renamed."""
    shown = re.search(r'^```json\n(\{"source": "s3://lake/.*?\})\n```$', PAGE.read_text(), re.M)
    assert shown is not None, f"{PAGE} shows no S3 conf"
    conf = json.loads(shown.group(1))
    return {name: value.replace("s3://lake/", f"s3://{BUCKET}/") for name, value in conf.items()}


def key(dataset: dict[str, Any]) -> tuple[str, str]:
    return dataset["namespace"], dataset["name"]


def version(dataset: dict[str, Any]) -> str | None:
    return dataset.get("facets", {}).get("version", {}).get("datasetVersion")


def keys(s3: S3, prefix: str) -> list[str]:
    pages = s3.client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def test_pipeline_runs_on_s3_with_the_documented_conf(
    run_dag: RunDag, s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in sorted(CORPUS.rglob("*")):
        if path.is_file():
            relative = path.relative_to(CORPUS).as_posix()
            s3.client.put_object(Bucket=BUCKET, Key=f"docs/{relative}", Body=path.read_bytes())
    workdir = tmp_path / "worker"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # the airflow process's working directory
    env = {
        "PYTHONPATH": str(Path(llm_lineage.__file__).parents[1]),  # this source, from any cwd
        "AIRFLOW_CONN_AWS_DEFAULT": s3.connection,
        "LLM_LINEAGE_CACHE_DIR": str(tmp_path / "cache"),
    }
    run = run_dag(
        EXAMPLES / "llm_lineage_pipeline.py",
        "llm_lineage_pipeline",
        env=env,
        in_place=True,
        conf=page_conf(),
    )
    assert run.returncode == 0, run.output[-5000:]
    assert_no_asset_errors(run.output)
    assert list(workdir.iterdir()) == []  # no s3:/... folder, nothing else
    model = f"s3://{BUCKET}/llm/tiny-base-model"
    tokenize = run.of("tokenize", "COMPLETE")
    assert tokenize["inputs"][0]["namespace"] == f"s3://{BUCKET}"
    tokenizer = tokenize["outputs"][0]["facets"]["llmLineage_tokenization"]["tokenizer"]
    assert tokenizer["name"] == model
    fine_tune = run.of("fine_tune", "COMPLETE")
    tokens, base = fine_tune["inputs"]
    assert key(tokens) == key(tokenize["outputs"][0])
    assert key(base) == (f"s3://{BUCKET}", "llm/tiny-base-model")
    local = tmp_path / "copy"
    local.mkdir()
    for name in keys(s3, "llm/tiny-base-model/"):
        body = s3.client.get_object(Bucket=BUCKET, Key=name)["Body"].read()
        (local / name.rsplit("/", 1)[1]).write_bytes(body)
    assert version(base) == resolve_base_model(local).fingerprint  # content only
    assert key(fine_tune["outputs"][0]) == (f"s3://{BUCKET}", "llm/adapter")
    stored = keys(s3, "llm/")
    for expected in (
        "llm/tiny-base-model/config.json",
        "llm/extracted/text.parquet",
        "llm/tokens/tokens.parquet",
        "llm/adapter/adapter_config.json",
    ):
        assert expected in stored, stored
    assert not [k for k in stored if ".llm-lineage" in k]  # no lock or staging left
    # the worker's model cache: the tokenizer's two files, and the whole model folder
    copies = sorted((tmp_path / "cache" / "models").iterdir())
    assert sorted(len(list(c.iterdir())) for c in copies) == [2, len(list(local.iterdir()))]
    assert ACCESS_KEY not in run.output and SECRET_KEY not in run.output
    assert not [e for e in run.events if ACCESS_KEY in str(e) or SECRET_KEY in str(e)]
