"""Base models and tokenizers in object storage, and the tiny base model built into one.

moto's S3 server (``s3_fixtures.py``) runs in this process; its request log (werkzeug's) is the
count of object reads the server answered, so "reads nothing again" is measured at the server.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from llm_lineage.hooks.lora import LoRAFineTuningHook
from llm_lineage.hooks.storage import default_conn_id
from llm_lineage.hooks.tiny_model import base_model_or_tiny, tiny_base_model_at
from llm_lineage.hooks.tokenization import TokenizerHook
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.storage.staging import STAGING_PREFIX
from llm_lineage.tokenization import TokenizerLoadError, load_tokenizer
from llm_lineage.training import BaseModelError, resolve_base_model, tiny_base_model
from llm_lineage.training.tiny import TINY_MODEL_FILES
from s3_fixtures import BUCKET, CONN_ID, S3, Requests


@pytest.fixture(scope="module")
def local_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tiny_base_model(tmp_path_factory.mktemp("local") / "tiny"))


def upload(s3: S3, folder: Path, prefix: str) -> str:
    for path in sorted(folder.iterdir()):
        s3.client.put_object(Bucket=BUCKET, Key=f"{prefix}/{path.name}", Body=path.read_bytes())
    return f"s3://{BUCKET}/{prefix}"


def keys(s3: S3, prefix: str) -> list[str]:
    listed = s3.client.list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(item["Key"].removeprefix(prefix) for item in listed)


def test_base_model_is_downloaded_once_per_worker(
    s3: S3, local_model: Path, worker_cache: Path, moto_requests: Requests
) -> None:
    """A second task (a new hook) on the worker reads no object; lineage names the URI."""
    uri = upload(s3, local_model, "models/once")
    first = LoRAFineTuningHook(base_model_conn_id=CONN_ID).resolve_base_model(uri)
    read_first = moto_requests.object_reads("models/once/")
    assert len(read_first) == len(list(local_model.iterdir()))
    second = LoRAFineTuningHook(base_model_conn_id=CONN_ID).resolve_base_model(uri)
    assert moto_requests.object_reads("models/once/") == read_first  # nothing read again
    local = resolve_base_model(local_model)
    assert first.fingerprint == second.fingerprint == local.fingerprint  # content only
    assert first.weight_files == local.weight_files
    assert (first.source, first.location) == (uri, uri)
    assert dataset_id(first.location).uri == uri
    assert Path(first.path).is_relative_to(worker_cache) and first.path == second.path
    plan = LoRAFineTuningHook(base_model_conn_id=CONN_ID).plan(
        f"s3://{BUCKET}/tokens/tokens.parquet", uri, f"s3://{BUCKET}/adapter"
    )
    assert plan.base_location == uri


def test_a_changed_model_is_downloaded_again(
    s3: S3, local_model: Path, worker_cache: Path, moto_requests: Requests
) -> None:
    uri = upload(s3, local_model, "models/changed")
    hook = LoRAFineTuningHook(base_model_conn_id=CONN_ID)
    before = hook.resolve_base_model(uri)
    config = (local_model / "config.json").read_bytes().replace(b"{", b'{"note": "v2", ', 1)
    s3.client.put_object(Bucket=BUCKET, Key="models/changed/config.json", Body=config)
    count = len(moto_requests.object_reads("models/changed/"))
    after = hook.resolve_base_model(uri)
    assert len(moto_requests.object_reads("models/changed/")) > count
    assert after.fingerprint != before.fingerprint
    assert Path(after.path, "config.json").read_bytes() == config
    assert (
        Path(before.path, "config.json").read_bytes() == (local_model / "config.json").read_bytes()
    )


def test_cache_off_still_loads_the_model(
    s3: S3, local_model: Path, monkeypatch: pytest.MonkeyPatch, moto_requests: Requests
) -> None:
    monkeypatch.setenv("LLM_LINEAGE_CACHE_DIR", "off")
    uri = upload(s3, local_model, "models/nocache")
    hook = LoRAFineTuningHook(base_model_conn_id=CONN_ID)
    assert hook.resolve_base_model(uri).fingerprint == resolve_base_model(local_model).fingerprint
    hook.resolve_base_model(uri)
    assert len(moto_requests.object_reads("models/nocache/")) == 2 * len(
        list(local_model.iterdir())
    )


def test_missing_or_empty_model_folder_is_a_clear_error(s3: S3, worker_cache: Path) -> None:
    s3.client.put_object(Bucket=BUCKET, Key="models/notes/readme.md", Body=b"not a model")
    hook = LoRAFineTuningHook(base_model_conn_id=CONN_ID)
    for prefix in ("models/absent", "models/notes"):
        with pytest.raises(BaseModelError, match=f"base model s3://{BUCKET}/{prefix} "):
            hook.resolve_base_model(f"s3://{BUCKET}/{prefix}")
    s3.client.put_object(Bucket=BUCKET, Key="models/configonly/config.json", Body=b"{}")
    with pytest.raises(BaseModelError, match="has no weights"):
        hook.resolve_base_model(f"s3://{BUCKET}/models/configonly")


def test_tokenizer_from_object_store_is_downloaded_once(
    s3: S3, local_model: Path, worker_cache: Path, moto_requests: Requests
) -> None:
    """A model folder or its tokenizer.json; only tokenizer files are read, once per worker."""
    uri = upload(s3, local_model, "models/tok")
    local = load_tokenizer(local_model)
    for spec in (uri, f"{uri}/tokenizer.json"):
        loaded = TokenizerHook(tokenizer_conn_id=CONN_ID).load_tokenizer(spec)
        assert (loaded.source, loaded.sha256) == (spec, local.sha256)
        assert loaded.model_max_length == local.model_max_length == 256
    reads = moto_requests.object_reads("models/tok/")
    # the folder and its tokenizer.json: the same two files, read once for both
    assert sorted(p.rsplit("/", 1)[1] for p in reads) == ["tokenizer.json", "tokenizer_config.json"]
    TokenizerHook(tokenizer_conn_id=CONN_ID).load_tokenizer(uri)
    assert moto_requests.object_reads("models/tok/") == reads
    with pytest.raises(TokenizerLoadError, match=f"tokenizer s3://{BUCKET}/models/none"):
        TokenizerHook(tokenizer_conn_id=CONN_ID).load_tokenizer(f"s3://{BUCKET}/models/none")


def test_tiny_base_model_is_built_into_the_object_store(
    s3: S3,
    worker_cache: Path,
    moto_requests: Requests,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Not at a relative ``s3:/...`` path on the worker; a second call builds nothing."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    folder = f"s3://{BUCKET}/out/tiny-base-model"
    assert tiny_base_model_at(folder, CONN_ID) == folder
    assert not (tmp_path / "s3:").exists()
    assert set(TINY_MODEL_FILES) <= set(n.lstrip("/") for n in keys(s3, "out/tiny-base-model"))
    assert not [k for k in keys(s3, "out/") if ".llm-lineage" in k]  # lock and staging gone
    assert not [p for p in (tmp_path / "tmp").iterdir() if p.name.startswith(STAGING_PREFIX)]
    written = len(moto_requests.writes("out/tiny-base-model"))
    assert base_model_or_tiny("", folder, CONN_ID) == folder
    assert len(moto_requests.writes("out/tiny-base-model")) == written  # already there
    assert base_model_or_tiny("org/model", folder, CONN_ID) == "org/model"
    loaded = TokenizerHook(tokenizer_conn_id=CONN_ID).load_tokenizer(folder)
    assert loaded.model_max_length == 256
    info = LoRAFineTuningHook(base_model_conn_id=CONN_ID).resolve_base_model(folder)
    assert info.model_type == "gpt2"


def test_tiny_base_model_in_a_local_folder(tmp_path: Path) -> None:
    folder = tmp_path / "out" / "tiny-base-model"
    assert tiny_base_model_at(folder) == str(folder)
    assert all((folder / name).is_file() for name in TINY_MODEL_FILES)
    shutil.rmtree(folder)


@pytest.mark.parametrize(
    ("location", "named", "expected"),
    [
        ("s3://bucket/docs", None, "aws_default"),
        ("s3://bucket/docs", "", "aws_default"),
        ("S3://bucket/docs", None, "aws_default"),
        ("s3://bucket/docs", "lake", "lake"),
        ("s3://lake@bucket/docs", None, None),  # the URL names its connection
        ("/data/docs", None, None),
        ("/data/docs", "lake", "lake"),
        ("file:///data/docs", None, None),
        ("gs://bucket/docs", None, None),
    ],
)
def test_default_conn_id(location: str, named: str | None, expected: str | None) -> None:
    assert default_conn_id(location, named) == expected
