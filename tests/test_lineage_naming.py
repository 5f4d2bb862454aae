"""Dataset naming by OpenLineage's rules (``lineage/naming.py``, and the hooks' URIs)."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from airflow.sdk.io.store import attach
from fsspec.implementations.memory import MemoryFileSystem

from llm_lineage.hooks.storage import file_uri, location_uri, storage_path
from llm_lineage.lineage.naming import DatasetId, child_uri, dataset_id

#: Folder and file names that a URI must encode: each once, never twice, never not at all.
AWKWARD_NAMES = [
    "100%",
    "100%25",
    "a#b",
    "q?x=1",
    "my docs",
    "donn\u00e9es",
    "\u65e5\u672c",
    "new\nline",
    "tab\tand\rcr",
    "semi;colon:plus+at@amp&eq=",
]

# --- local paths -------------------------------------------------------------------------


def test_relative_path_is_made_absolute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert dataset_id("data/docs") == DatasetId("file", f"{tmp_path}/data/docs")
    assert dataset_id("data/docs/") == DatasetId("file", f"{tmp_path}/data/docs")
    assert dataset_id("./data/../data/docs") == DatasetId("file", f"{tmp_path}/data/docs")


def test_absolute_path_and_pathlike() -> None:
    assert dataset_id("/data/corpus") == DatasetId("file", "/data/corpus")
    assert dataset_id("/data/corpus/") == DatasetId("file", "/data/corpus")
    assert dataset_id("/data//corpus/./x/..") == DatasetId("file", "/data/corpus")
    assert dataset_id(Path("/data/corpus/text.parquet")) == DatasetId(
        "file", "/data/corpus/text.parquet"
    )
    assert dataset_id("/") == DatasetId("file", "/")


@pytest.mark.parametrize(
    ("location", "name"),
    [
        ("file:///data/corpus", "/data/corpus"),
        ("file:///data/corpus/", "/data/corpus"),
        ("file://localhost/data/corpus", "/data/corpus"),
        ("file:///data/my%20corpus/", "/data/my corpus"),
        ("local:///data/corpus", "/data/corpus"),
    ],
)
def test_file_uris(location: str, name: str) -> None:
    assert dataset_id(location) == DatasetId("file", name)


def test_local_path_and_its_file_uri_name_the_same_dataset(tmp_path: Path) -> None:
    folder = tmp_path / "out"

    assert dataset_id(folder) == dataset_id(folder.as_uri()) == dataset_id(f"{folder}/")


# --- object stores -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("location", "namespace", "name"),
    [
        ("s3://bucket/key", "s3://bucket", "key"),
        ("s3://bucket/key/", "s3://bucket", "key"),
        ("s3://bucket/a/b/text.parquet", "s3://bucket", "a/b/text.parquet"),
        ("s3://bucket/a/../b//c/", "s3://bucket", "b/c"),
        ("s3://bucket", "s3://bucket", "/"),
        ("s3://bucket/", "s3://bucket", "/"),
        ("s3a://bucket/key", "s3://bucket", "key"),
        ("s3n://bucket/key", "s3://bucket", "key"),
        ("S3A://bucket/key", "s3://bucket", "key"),
        ("gcs://bucket/docs/", "gs://bucket", "docs"),
        ("gs://bucket/docs", "gs://bucket", "docs"),
        ("s3://bucket/my%20docs/x", "s3://bucket", "my docs/x"),
        ("s3://bucket/key?versionId=3#part", "s3://bucket", "key"),
    ],
)
def test_object_store_urls(location: str, namespace: str, name: str) -> None:
    assert dataset_id(location) == DatasetId(namespace, name)


@pytest.mark.parametrize(
    "location",
    [
        "s3://AKIAEXAMPLE:s3cr3t%2Fkey@bucket/docs/",
        "s3://user:pass@bucket/docs",
        "s3://aws_default@bucket/docs",  # Airflow's conn_id@bucket
        "s3a://my_conn@bucket/docs",
    ],
)
def test_credentials_and_conn_ids_are_stripped(location: str) -> None:
    ident = dataset_id(location)

    assert ident == DatasetId("s3://bucket", "docs")
    for secret in ("AKIA", "s3cr3t", "user", "pass", "aws_default", "my_conn", "@"):
        assert secret not in ident.namespace + ident.name + ident.uri


def test_gcs_conn_id_is_stripped() -> None:
    assert dataset_id("gcs://google_cloud_default@bucket/x") == DatasetId("gs://bucket", "x")


def test_azure_container_at_account_is_kept() -> None:
    ident = dataset_id("abfss://container@account.dfs.core.windows.net/dir/file.parquet")

    assert ident == DatasetId("abfss://container@account.dfs.core.windows.net", "dir/file.parquet")
    assert ident.uri == "abfss://container@account.dfs.core.windows.net/dir/file.parquet"


def test_wasbs_container_at_account_is_kept() -> None:
    assert dataset_id("wasbs://data@acct.blob.core.windows.net/docs/") == DatasetId(
        "wasbs://data@acct.blob.core.windows.net", "docs"
    )


# --- DatasetId.uri and child_uri ---------------------------------------------------------


@pytest.mark.parametrize(
    ("ident", "uri"),
    [
        (DatasetId("file", "/data/corpus"), "file:///data/corpus"),
        (DatasetId("file", "/"), "file:///"),
        (DatasetId("s3://bucket", "docs/text.parquet"), "s3://bucket/docs/text.parquet"),
        (DatasetId("gs://bucket", "docs"), "gs://bucket/docs"),
        (DatasetId("s3://bucket", "/"), "s3://bucket/"),
    ],
)
def test_dataset_uri(ident: DatasetId, uri: str) -> None:
    assert ident.uri == uri


@pytest.mark.parametrize(
    "location",
    ["s3://bucket/docs", "s3://bucket", "gs://bucket/a/b", "/data/corpus", "file:///data/x"],
)
def test_uri_names_the_same_dataset_again(location: str) -> None:
    ident = dataset_id(location)

    assert dataset_id(ident.uri) == ident


@pytest.mark.parametrize(
    "location",
    [
        "/data/100%",
        "/data/100%25",
        "/data/a#b?c",
        "/data/new\nline",
        "file:///data/100%25/x",
        "file:///data/100%/x",
        "file:///data/a%23b%3Fc",
        "s3://bucket/100%25/x",
        "s3://bucket/100%/x",
        "s3://bucket/a%23b%3Fc/x",
        "s3://bucket/my%20docs/x",
        "s3://bucket/new%0Aline",
        "s3://bucket/%E6%97%A5%E6%9C%AC",
    ],
)
def test_dataset_id_of_its_own_uri_is_itself(location: str) -> None:
    ident = dataset_id(location)

    assert dataset_id(ident.uri) == ident
    assert dataset_id(dataset_id(ident.uri).uri) == ident


# --- names are real, URIs are encoded once -----------------------------------------------


@pytest.mark.parametrize("folder", AWKWARD_NAMES)
def test_local_name_is_the_real_path(folder: str) -> None:
    path = f"/data/{folder}/file {folder}.txt"
    ident = DatasetId("file", path)

    assert dataset_id(path) == ident
    assert dataset_id(Path(path).as_uri()) == ident
    assert ident.uri == Path(path).as_uri()
    assert dataset_id(ident.uri) == ident


@pytest.mark.parametrize("folder", AWKWARD_NAMES)
def test_object_key_is_the_real_key(folder: str) -> None:
    ident = DatasetId("s3://bucket", f"{folder}/part {folder}.parquet")

    assert re.fullmatch(r"s3://bucket/(?:[A-Za-z0-9._~/-]|%[0-9A-F]{2})+", ident.uri)
    assert dataset_id(ident.uri) == ident


def test_percent_in_an_object_uri_is_decoded_once() -> None:
    """``%25`` in a URI is a ``%`` in the key; a bare ``%`` starts no escape and stays."""
    key = DatasetId("s3://bucket", "100%/x")

    assert dataset_id("s3://bucket/100%25/x") == key
    assert dataset_id("s3://bucket/100%/x") == key
    assert key.uri == "s3://bucket/100%25/x"
    assert DatasetId("s3://bucket", "100%25/x").uri == "s3://bucket/100%2525/x"
    assert dataset_id("s3://bucket/100%2525/x") == DatasetId("s3://bucket", "100%25/x")


def test_percent_in_a_file_uri_is_decoded_once() -> None:
    assert dataset_id("file:///data/100%25") == DatasetId("file", "/data/100%")
    assert dataset_id("file:///data/100%2525") == DatasetId("file", "/data/100%25")
    assert DatasetId("file", "/data/100%").uri == "file:///data/100%25"


def test_undecodable_file_name_bytes_survive_the_round_trip() -> None:
    name = os.fsdecode(b"/data/caf\xe9")  # Latin-1 bytes on a UTF-8 file system

    ident = dataset_id(name)

    assert ident.uri == "file:///data/caf%E9"
    assert dataset_id(ident.uri) == ident


# --- through storage_path, location_uri and file_uri, on real folders ---------------------


@pytest.mark.parametrize("folder", AWKWARD_NAMES)
def test_real_folder_is_opened_and_named_by_its_path(folder: str, tmp_path: Path) -> None:
    root_dir = tmp_path / folder
    (root_dir / "sub").mkdir(parents=True)
    document = root_dir / "sub" / f"doc {folder}.txt"
    document.write_text(f"text of {folder!r}")

    root = storage_path(root_dir)
    listed = root.fs.find(root.path, withdirs=False)

    assert listed == [str(document)]
    with root.fs.open(listed[0], "rb") as handle:
        assert handle.read() == f"text of {folder!r}".encode()
    assert dataset_id(location_uri(root)) == DatasetId("file", str(root_dir))
    assert dataset_id(file_uri(root, listed[0])) == DatasetId("file", str(document))
    assert location_uri(root) == root_dir.as_uri()
    assert file_uri(root, listed[0]) == document.as_uri()


@pytest.mark.parametrize("folder", AWKWARD_NAMES)
def test_relative_and_file_locations_are_the_real_file(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    document = tmp_path / folder / "doc.txt"
    document.parent.mkdir()
    document.write_text("x")
    monkeypatch.chdir(tmp_path)

    for location in (f"{folder}/doc.txt", Path(folder) / "doc.txt", str(document)):
        path = storage_path(location)

        assert path.is_file()
        assert path.read_text() == "x"
        assert dataset_id(location_uri(path)) == DatasetId("file", str(document))


def test_missing_folder_is_named_like_the_one_that_will_be_made(tmp_path: Path) -> None:
    folder = tmp_path / "out 100%" / "new#"

    path = storage_path(folder)

    assert not path.exists()
    assert dataset_id(location_uri(path)) == dataset_id(folder) == DatasetId("file", str(folder))


@pytest.fixture
def memory_bucket() -> Iterator[str]:
    """A bucket in fsspec's in-memory store, attached so ObjectStoragePath.fs finds it."""
    fs = MemoryFileSystem()
    attach("memory", fs=fs)
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    yield bucket
    if fs.exists(f"/{bucket}"):
        fs.rm(f"/{bucket}", recursive=True)


@pytest.mark.parametrize("folder", AWKWARD_NAMES)
def test_object_store_name_is_the_key_read(folder: str, memory_bucket: str) -> None:
    key = f"{folder}/part {folder}.txt"
    storage_path(f"memory://{memory_bucket}").fs.pipe(f"/{memory_bucket}/{key}", b"data")

    root = storage_path(f"memory://{memory_bucket}")
    (listed,) = root.fs.find(root.path, withdirs=False)

    assert root.fs.cat(listed) == b"data"
    assert dataset_id(file_uri(root, listed)) == DatasetId(f"memory://{memory_bucket}", key)


def test_object_store_url_is_the_key_as_stored(memory_bucket: str) -> None:
    """fsspec reads ``100%25`` as those five characters; the name is that key, not ``100%``."""
    fs = storage_path(f"memory://{memory_bucket}").fs
    fs.pipe(f"/{memory_bucket}/100%25/x", b"escaped")
    fs.pipe(f"/{memory_bucket}/100%/x", b"bare")

    escaped = storage_path(f"memory://{memory_bucket}/100%25/x")
    bare = storage_path(f"memory://{memory_bucket}/100%/x")

    assert escaped.read_bytes() == b"escaped" and bare.read_bytes() == b"bare"
    assert dataset_id(location_uri(escaped)) == DatasetId(f"memory://{memory_bucket}", "100%25/x")
    assert dataset_id(location_uri(bare)) == DatasetId(f"memory://{memory_bucket}", "100%/x")


def test_conn_id_never_enters_the_location_uri(memory_bucket: str) -> None:
    path = storage_path(f"memory://my_conn@{memory_bucket}/100%25/x")

    assert path.conn_id == "my_conn"
    assert location_uri(path) == f"memory://{memory_bucket}/100%2525/x"
    assert dataset_id(location_uri(path)) == DatasetId(f"memory://{memory_bucket}", "100%25/x")


def test_child_uri() -> None:
    assert child_uri("s3://bucket/out/", "text.parquet") == "s3://bucket/out/text.parquet"
    assert child_uri("/data/out", "manifest.parquet") == "/data/out/manifest.parquet"
    assert dataset_id(child_uri("s3a://b/out/", "t.parquet")) == DatasetId(
        "s3://b", "out/t.parquet"
    )
