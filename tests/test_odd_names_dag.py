"""Real DAG runs over files and folders with names that are not UTF-8, or otherwise odd.

Each name is read and recorded, in the manifest, the events, the XCom lineage document and
hook lineage: the exact bytes as the percent-encoded URI, the readable form (``\\xe9``) as the
relative path. A failed document with such a name is recorded like any other, with
``on_error="fail"`` too: the FAIL event carries its facets and the lineage document is stored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from airflow_db import AirflowDb
from conftest import TESTS, DagRun, RunDag
from odd_names_fixtures import ODD_NAMES, PLAIN, make_odd_names_corpus, odd_path, uri_bytes

pytestmark = pytest.mark.dag

#: An empty file with a Latin-1 name: a document that fails, to be recorded.
EMPTY = b"caf\xe9-empty.txt"
COLLECTION = "llmLineage_documentCollection"
XCOM_KEY = "llm_lineage"


class OddRun:
    def __init__(self, run: DagRun, corpus: Path, odd_source: Path, out: Path, db: AirflowDb):
        self.run, self.corpus, self.odd_source, self.out, self.db = run, corpus, odd_source, out, db

    def xcom(self, task_id: str) -> dict[str, Any]:
        [row] = self.db.rows(
            "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = ?",
            "extraction_odd_names",
            task_id,
            XCOM_KEY,
        )
        value = row["value"]
        return json.loads(value) if isinstance(value, (str, bytes)) else value


@pytest.fixture(scope="module")
def odd(run_dag: RunDag, airflow_home: Path, tmp_path_factory: pytest.TempPathFactory) -> OddRun:
    base = tmp_path_factory.mktemp("odd-names")
    corpus = make_odd_names_corpus(base / "corpus")
    odd_path(corpus, EMPTY).write_bytes(b"")
    odd_source = odd_path(base, b"d\xe9p\xf4t-source")
    odd_source.mkdir()
    (odd_source / "memo.txt").write_text("A memo in a folder with a Latin-1 name.")
    out = base / "out"
    out.mkdir()
    run = run_dag(
        TESTS / "dags" / "extraction_odd_names.py",
        "extraction_odd_names",
        env={
            "TEST_CORPUS": str(corpus),
            "TEST_ODD_SOURCE": str(odd_source),
            "TEST_OUTPUT": str(out),
        },
    )
    return OddRun(run, corpus, odd_source, out, AirflowDb(airflow_home))


def _manifest(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


def _expected(root: Path) -> dict[bytes, str]:
    """Each document's exact path (bytes) -> the readable relative path the manifest must show."""
    base = os.fsencode(root)
    return {
        base + b"/" + name: name.decode("utf-8", "backslashreplace")
        for name in [*ODD_NAMES, PLAIN, EMPTY]
    }


def test_every_odd_name_is_read_and_recorded(odd: OddRun) -> None:
    event = odd.run.of("extract_odd", "COMPLETE")
    collection = event["inputs"][0]["facets"][COLLECTION]
    assert (collection["documentCount"], collection["failedDocumentCount"]) == (13, 1)
    rows = _manifest(odd.out / "odd" / "manifest.parquet")
    assert {uri_bytes(row["source_uri"]): row["relative_path"] for row in rows} == _expected(
        odd.corpus
    )
    assert len({row["doc_id"] for row in rows}) == len(rows)
    failed = [row for row in rows if row["status"] == "failed"]
    assert [(row["relative_path"], row["error"]) for row in failed] == [
        ("caf\\xe9-empty.txt", "empty file (0 bytes)")
    ]
    text = pq.read_table(odd.out / "odd" / "text.parquet").to_pylist()
    by_path = {uri_bytes(row["source_uri"]): row["text"] for row in text}
    base = os.fsencode(odd.corpus)
    for name, written in ODD_NAMES.items():
        if name.endswith(b".txt"):
            assert by_path[base + b"/" + name] == written, name
        else:
            assert by_path[base + b"/" + name].split()[-1] in written, name


def test_the_failed_odd_name_is_in_the_event_and_the_xcom(odd: OddRun) -> None:
    event = odd.run.of("extract_odd", "COMPLETE")
    [error] = event["run"]["facets"]["extractionError"]["errors"]
    assert uri_bytes(error["task"]) == os.fsencode(odd.corpus) + b"/" + EMPTY
    assert error["errorMessage"] == "empty file (0 bytes) [DocumentError]"
    document = odd.xcom("extract_odd")
    assert document["eventType"] == "COMPLETE"
    assert document["run"]["facets"]["extractionError"] == event["run"]["facets"]["extractionError"]


def test_on_error_fail_on_an_odd_name_keeps_its_facets_and_xcom(odd: OddRun) -> None:
    event = odd.run.of("extract_odd_fail", "FAIL")
    facets = event["run"]["facets"]
    assert "caf%E9-empty.txt" in facets["errorMessage"]["message"]
    [error] = facets["extractionError"]["errors"]
    assert uri_bytes(error["task"]) == os.fsencode(odd.corpus) + b"/" + EMPTY
    assert event["inputs"][0]["facets"][COLLECTION]["failedDocumentCount"] == 1
    document = odd.xcom("extract_odd_fail")
    assert document["eventType"] == "FAIL"
    assert document["run"]["facets"]["extractionError"]["errors"] == [error]


def test_the_hook_reads_the_same_names(odd: OddRun) -> None:
    event = odd.run.of("extract_with_hook", "COMPLETE")
    assert [d["name"] for d in event["inputs"]] == [str(odd.corpus)]
    assert sorted(d["name"] for d in event["outputs"]) == [
        str(odd.out / "hook" / "manifest.parquet"),
        str(odd.out / "hook" / "text.parquet"),
    ]
    hook_rows = _manifest(odd.out / "hook" / "manifest.parquet")
    operator_rows = _manifest(odd.out / "odd" / "manifest.parquet")
    assert [(r["doc_id"], r["relative_path"], r["status"]) for r in hook_rows] == [
        (r["doc_id"], r["relative_path"], r["status"]) for r in operator_rows
    ]
    [row] = odd.db.rows(
        "SELECT value FROM xcom WHERE dag_id = ? AND task_id = ? AND key = ?",
        "extraction_odd_names",
        "extract_with_hook",
        "failed",
    )
    [failed] = json.loads(row["value"])
    assert uri_bytes(failed) == os.fsencode(odd.corpus) + b"/" + EMPTY


def test_a_source_folder_named_in_latin_1_is_read_by_the_hook(odd: OddRun) -> None:
    assert odd.run.of("extract_odd_source", "COMPLETE")["inputs"]
    [row] = _manifest(odd.out / "odd_source" / "manifest.parquet")
    assert row["status"] == "extracted" and row["relative_path"] == "memo.txt"
    assert uri_bytes(row["source_uri"]) == os.fsencode(odd.odd_source / "memo.txt")
