"""moto's S3 server for the object-storage tests, and the Airflow connection that reaches it.

Airflow reaches the server as any S3 through ``apache-airflow-providers-amazon[s3fs]`` and an
``aws`` connection whose extra names the ``endpoint_url``. A test module uses the ``s3``
fixture (``tests/conftest.py`` loads this module with ``pytest_plugins``); each module gets a
server of its own. ``moto_requests`` records the requests the server answered, ``worker_cache``
gives a test a model cache of its own.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

BUCKET = "llm-lineage-test"
CONN_ID = "aws_llm_lineage_test"
#: Fake credentials: they must appear in no event, log line, stored field or output file.
ACCESS_KEY = "AKIALLMLINEAGEFAKE01"
SECRET_KEY = "llm-lineage/fake+secret/5d2c9e07"


@dataclass
class S3:
    """The running server: its endpoint, a client of our own, the Airflow connection as JSON."""

    endpoint: str
    client: Any
    connection: str

    @property
    def env(self) -> dict[str, str]:
        return {
            f"AIRFLOW_CONN_{CONN_ID.upper()}": self.connection,
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }


@pytest.fixture(scope="module", name="s3")
def moto_s3_server() -> Iterator[S3]:
    """moto's S3 on a free port of 127.0.0.1, one bucket, and the connection in this process."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    import boto3  # here, not at the top: every test session loads this module
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    connection = json.dumps(
        {
            "conn_type": "aws",
            "login": ACCESS_KEY,
            "password": SECRET_KEY,
            "extra": {"endpoint_url": endpoint, "region_name": "us-east-1"},
        }
    )
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
    )
    # moto keeps its buckets in the process, across servers: start from none, so an earlier
    # module's objects never show up in this one's bucket.
    requests.post(f"{endpoint}/moto-api/reset", timeout=30).raise_for_status()
    client.create_bucket(Bucket=BUCKET)
    server_s3 = S3(endpoint, client, connection)
    saved = {name: os.environ.get(name) for name in server_s3.env}
    os.environ.update(server_s3.env)
    _forget_filesystems()
    yield server_s3
    _forget_filesystems()
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    server.stop()


def _forget_filesystems() -> None:
    """Airflow keeps one filesystem per connection id for the process; another module's would
    still point at its own server, stopped by now."""
    from airflow.sdk.io import store

    store._STORE_CACHE.clear()


_REQUEST = re.compile(r"(GET|PUT|HEAD|POST|DELETE) (/\S*) HTTP/")


class Requests(logging.Handler):
    """Every request moto's server answered, as (method, path) pairs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        found = _REQUEST.search(record.getMessage())
        if found:
            self.seen.append((found.group(1), found.group(2)))

    def object_reads(self, prefix: str) -> list[str]:
        """GETs of objects under ``prefix`` (listings are GETs of the bucket, not of keys)."""
        return [p for m, p in self.seen if m == "GET" and p.startswith(f"/{BUCKET}/{prefix}")]

    def writes(self, prefix: str) -> list[str]:
        return [p for m, p in self.seen if m in ("PUT", "POST") and f"/{prefix}" in p]


@pytest.fixture
def moto_requests() -> Iterator[Requests]:
    logger = logging.getLogger("werkzeug")
    handler, level = Requests(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def worker_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A worker's cache of its own (each test starts with an empty one)."""
    monkeypatch.setenv("LLM_LINEAGE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"
