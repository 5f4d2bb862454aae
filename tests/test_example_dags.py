"""The example DAGs parse cleanly, and the committed sample corpus is what its script generates."""

from __future__ import annotations

import hashlib
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from airflow.dag_processing.dagbag import DagBag
from airflow.sdk import AssetAlias

from llm_lineage.extraction.formats import format_for
from llm_lineage.extraction.readers import reader_for
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.operators.extraction import DocumentExtractionOperator

REPO = Path(__file__).resolve().parent.parent
EXAMPLE_DAGS = REPO / "example_dags"
CORPUS = EXAMPLE_DAGS / "data" / "sample_corpus"
MAKE_CORPUS = REPO / "scripts" / "make_sample_corpus.py"
#: Formats whose bytes come from fpdf2 / python-docx and zlib (see test below).
LIBRARY_MADE = {".pdf", ".docx"}


def files(root: Path) -> dict[str, Path]:
    return {str(p.relative_to(root)): p for p in sorted(root.rglob("*")) if p.is_file()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def generate(output: Path) -> dict[str, Path]:
    subprocess.run(
        [sys.executable, str(MAKE_CORPUS), "--output", str(output)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return files(output)


def content(path: Path) -> tuple[object, ...]:
    """What the extraction engine reads from a document: text and every metadata field."""
    document_format = format_for(path.name)
    assert document_format is not None
    reader = reader_for(document_format.name)
    assert reader is not None
    out = reader.read(path.read_bytes())
    return (out.text, out.title, out.authors, out.created, out.modified, out.pages)


@pytest.fixture(scope="module")
def dagbag() -> DagBag:
    # Parsing needs no metadata database, so this works on a bare AIRFLOW_HOME.
    return DagBag(dag_folder=str(EXAMPLE_DAGS))


def test_example_dags_import_without_errors(dagbag: DagBag) -> None:
    assert dagbag.import_errors == {}
    assert "llm_lineage_extraction" in dagbag.dags


def test_extraction_example_reads_the_sample_corpus(dagbag: DagBag) -> None:
    dag = dagbag.dags["llm_lineage_extraction"]
    assert dag.doc_md and "destination" in dag.doc_md
    assert dag.schedule is None  # manual runs only: the example must never start by itself
    assert dag.task_ids == ["extract_documents"]
    task = dag.get_task("extract_documents")
    assert isinstance(task, DocumentExtractionOperator)
    assert task.source == "{{ params.source }}"
    assert task.destination == "{{ params.destination }}"
    assert Path(dag.params["source"]) == CORPUS


def test_sample_corpus_matches_its_generator(tmp_path: Path) -> None:
    """Text formats must be byte-identical; PDF and DOCX must read back identically.

    PDF and DOCX bytes are reproducible only with the same fpdf2, python-docx and zlib as made
    the committed files (their layout and compression change between releases, and the test
    dependencies are not pinned), so for them the test compares what the readers extract.
    """
    committed, regenerated = files(CORPUS), generate(tmp_path)
    assert sorted(committed) == sorted(regenerated), "run scripts/make_sample_corpus.py"
    for name, path in committed.items():
        if path.suffix in LIBRARY_MADE:
            assert content(path) == content(regenerated[name]), name
        else:
            assert sha256(path) == sha256(regenerated[name]), name


def test_corpus_generator_is_deterministic(tmp_path: Path) -> None:
    """Two runs give the same bytes: no clock time leaks into any file (PDF, DOCX ZIP entries)."""
    first = generate(tmp_path / "first")
    time.sleep(2.1)  # ZIP timestamps have a 2-second resolution
    second = generate(tmp_path / "second")
    assert {n: sha256(p) for n, p in first.items()} == {n: sha256(p) for n, p in second.items()}


ALL_EXAMPLES = {
    "llm_lineage_extraction",
    "llm_lineage_pipeline",
    "llm_lineage_taskflow",
    "llm_lineage_sharded",
    "llm_lineage_asset_scheduled",
}
#: Examples that a producer's asset event starts; every other example runs only when triggered.
ASSET_SCHEDULED = {"llm_lineage_asset_scheduled"}


def test_every_example_dag_is_documented_and_manual(dagbag: DagBag) -> None:
    assert set(dagbag.dags) == ALL_EXAMPLES
    for dag_id, dag in dagbag.dags.items():
        assert dag.doc_md and len(dag.doc_md) > 200, dag_id
        if dag_id in ASSET_SCHEDULED:
            continue
        assert dag.schedule is None, dag_id
        assert {"source", "output"} <= set(dag.params) or dag_id == "llm_lineage_extraction"


def test_asset_scheduled_example_waits_for_the_pipelines_tokens(dagbag: DagBag) -> None:
    """Scheduled on the URI that the pipeline's default tokens get in lineage, and only on it."""
    dag = dagbag.dags["llm_lineage_asset_scheduled"]
    pipeline = dagbag.dags["llm_lineage_pipeline"]
    tokens = Path(pipeline.params["output"]) / "tokens" / "tokens.parquet"
    assert [asset.uri for asset in dag.schedule] == [dataset_id(tokens).uri]
    assert dag.params["output"] != pipeline.params["output"]
    assert dag.get_task("fine_tune").outlets == [
        AssetAlias("llm-lineage:" + dag.dag_id + ".fine_tune")
    ]


def test_asset_scheduled_example_trains_on_the_file_of_the_triggering_event(
    dagbag: DagBag, tmp_path: Path
) -> None:
    dag = dagbag.dags["llm_lineage_asset_scheduled"]
    [scheduled] = dag.schedule
    read = dag.get_task("new_tokens").python_callable
    landed = tmp_path / "new tokens" / "tokens.parquet"
    event = SimpleNamespace(
        asset=SimpleNamespace(uri=dataset_id(landed).uri),
        source_dag_id="llm_lineage_pipeline",
        source_task_id="tokenize",
        extra={"version": "v1", "tokens": 10, "sequences": 2},
    )
    assert read(triggering_asset_events={scheduled: [event]}) == str(landed)
    assert read(triggering_asset_events={}) == dataset_id(scheduled.uri).name  # a manual run


@pytest.mark.parametrize("syntax", ["glob", "regexp"])
def test_dag_processor_never_opens_the_sample_documents(
    syntax: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``example_dags/.airflowignore`` keeps the corpus out of DAG discovery: a DOCX is a ZIP,
    which the DAG processor would open as a zipped DAG on every parse loop. Without the file it
    does (the copy below), so the check can fail."""
    import shutil
    import zipfile

    from airflow.utils import file as discovery

    monkeypatch.setenv("AIRFLOW__CORE__DAG_IGNORE_FILE_SYNTAX", syntax)
    opened: list[str] = []
    real = zipfile.is_zipfile

    def recording(path: object) -> bool:
        opened.append(str(path))
        return real(path)  # type: ignore[arg-type]

    monkeypatch.setattr(discovery.zipfile, "is_zipfile", recording)
    found = discovery.find_dag_file_paths(EXAMPLE_DAGS, safe_mode=True)
    assert sorted(Path(p).name for p in found) == sorted(f"{d}.py" for d in ALL_EXAMPLES)
    assert not [p for p in opened if "/data/" in p], opened
    unignored = tmp_path / "example_dags"
    shutil.copytree(EXAMPLE_DAGS, unignored, ignore=shutil.ignore_patterns(".airflowignore"))
    opened.clear()
    discovery.find_dag_file_paths(unignored, safe_mode=True)
    assert [p for p in opened if p.endswith(".docx")]


@pytest.mark.dag
def test_airflow_lists_no_import_errors(airflow_home: Path, tmp_path: Path) -> None:
    """`airflow dags list-import-errors` names the broken file beside the examples, and only it."""
    import json
    import os
    import shutil

    folder = tmp_path / "dags"
    shutil.copytree(EXAMPLE_DAGS, folder)
    (folder / "broken_dag.py").write_text("from airflow.sdk import DAG\nraise ValueError('x')\n")
    env = {**os.environ, "AIRFLOW__CORE__DAGS_FOLDER": str(folder)}
    airflow = [str(Path(sys.executable).with_name("airflow")), "dags"]
    done = subprocess.run([*airflow, "reserialize"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    listed = subprocess.run(
        [*airflow, "list-import-errors", "-o", "json"], env=env, capture_output=True, text=True
    )
    [table] = [line for line in listed.stdout.splitlines() if line.startswith("[")]
    errors = json.loads(table)
    assert [Path(e["filepath"]).name for e in errors] == ["broken_dag.py"], errors
