"""The example DAGs run for real on the sample corpus and report one connected lineage graph."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_db import AirflowDb
from conftest import DagRun, RunDag, assert_no_asset_errors
from llm_lineage.lineage.naming import DatasetId, dataset_id

pytestmark = pytest.mark.dag

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
CORPUS = EXAMPLES / "data" / "sample_corpus"
Key = tuple[str, str]


def key(dataset: dict[str, Any]) -> Key:
    return dataset["namespace"], dataset["name"]


def version(dataset: dict[str, Any]) -> str | None:
    return dataset.get("facets", {}).get("version", {}).get("datasetVersion")


def file_key(path: Path) -> Key:
    identity = dataset_id(path)
    return identity.namespace, identity.name


def map_index(event: dict[str, Any]) -> int:
    return int(event["run"]["facets"]["airflow"]["taskInstance"]["map_index"])


@pytest.fixture(scope="module")
def run_example(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory):
    done: dict[str, tuple[DagRun, Path]] = {}

    def run(dag_id: str) -> tuple[DagRun, Path]:
        if dag_id in done:
            return done[dag_id]
        out = tmp_path_factory.mktemp(dag_id)
        result = run_dag(
            EXAMPLES / f"{dag_id}.py", dag_id, env={"LLM_LINEAGE_OUTPUT": str(out)}, in_place=True
        )
        assert result.returncode == 0, result.output[-5000:]
        assert_no_asset_errors(result.output)
        done[dag_id] = (result, out)
        return done[dag_id]

    return run


def test_pipeline_is_one_graph_from_documents_to_adapter(run_example) -> None:
    run, out = run_example("llm_lineage_pipeline")
    root = out / "pipeline"
    extract = run.of("extract_documents", "COMPLETE")
    tokenize = run.of("tokenize", "COMPLETE")
    fine_tune = run.of("fine_tune", "COMPLETE")
    assert [key(d) for d in extract["inputs"]] == [file_key(CORPUS)]
    text = next(d for d in extract["outputs"] if d["name"].endswith("text.parquet"))
    assert key(text) == file_key(root / "extracted" / "text.parquet")
    # each step's input is the previous step's output: same name, same version
    [tokens_in] = tokenize["inputs"]
    assert (key(tokens_in), version(tokens_in)) == (key(text), version(text))
    [tokens] = tokenize["outputs"]
    dataset, base = fine_tune["inputs"]
    assert (key(dataset), version(dataset)) == (key(tokens), version(tokens))
    assert key(base) == file_key(root / "tiny-base-model")
    [adapter] = fine_tune["outputs"]
    assert key(adapter) == file_key(root / "adapter")
    assert (root / "adapter" / "adapter_model.safetensors").is_file()
    collection = extract["inputs"][0]["facets"]["llmLineage_documentCollection"]
    assert collection["documentCount"] == 12 and collection["authors"]
    training = fine_tune["run"]["facets"]["llmLineage_training"]
    assert training["status"] == "completed" and training["steps"] > 0
    assert training["loss"]["last"] < training["loss"]["first"]
    usage = fine_tune["run"]["facets"]["llmLineage_resourceUsage"]
    assert usage["costPerHour"] == 0.10 and usage["estimatedCost"] > 0
    chain = adapter["facets"]["llmLineage_transformations"]["steps"]
    assert (chain[0]["step"], chain[-1]["step"]) == ("extraction", "training")


def test_pipeline_tokens_are_the_asset_the_scheduled_example_waits_for(
    run_example, airflow_home: Path
) -> None:
    """Each output has one Airflow asset event with its version.

    The token file's asset is the one ``llm_lineage_asset_scheduled``, parsed beside the
    pipeline, is scheduled on: the example's URI is the one the pipeline's events name. With no
    catalog configured, every task's "Lineage in catalog" link is empty.
    """
    run, _ = run_example("llm_lineage_pipeline")
    db = AirflowDb(airflow_home)
    for task_id in ("extract_documents", "tokenize", "fine_tune"):
        for output in run.of(task_id, "COMPLETE")["outputs"]:
            [event] = db.events(DatasetId(*key(output)).uri)
            assert (event["source_task_id"], event["extra"]["version"]) == (
                task_id,
                version(output),
            )
    tokens = db.asset(DatasetId(*key(run.of("tokenize", "COMPLETE")["outputs"][0])).uri)
    consumers = db.rows(
        "SELECT dag_id FROM dag_schedule_asset_reference WHERE asset_id = ?", tokens["id"]
    )
    assert [row["dag_id"] for row in consumers] == ["llm_lineage_asset_scheduled"]
    run_id = run.of("tokenize", "COMPLETE")["run"]["facets"]["airflow"]["dagRun"]["run_id"]
    links = db.rows(
        "SELECT value FROM xcom WHERE dag_id = 'llm_lineage_pipeline' AND run_id = ? AND key = ?",
        run_id,
        "_link_CatalogLink",
    )
    assert [row["value"] for row in links] == ['""'] * 3  # no catalog configured: no link


def test_demo_summary_reads_the_graph_back_from_the_events(run_example, capsys) -> None:
    """`make demo` prints this summary from the same kind of run."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("demo", EXAMPLES.parent / "scripts" / "demo.py")
    assert spec is not None and spec.loader is not None
    demo = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(demo)
    run, _ = run_example("llm_lineage_pipeline")
    assert demo.summarize(run.events) is True
    printed = capsys.readouterr().out
    fine_tune = run.of("fine_tune", "COMPLETE")
    adapter_version = fine_tune["outputs"][0]["facets"]["version"]["datasetVersion"]
    for expected in (
        "documents ",
        "12 documents read",
        "authors (include): ",
        "text      ",
        "tokens    ",
        "adapter   ",
        f"datasetVersion {adapter_version[:16]}",
        "+ base model ",
        "estimated cost ",
        "loss ",
    ):
        assert expected in printed, (expected, printed)
    assert printed.index("text      ") < printed.index("tokens    ") < printed.index("adapter   ")
    broken = [e for e in run.events if not e["job"]["name"].endswith(".fine_tune")]
    assert demo.summarize(broken) is False


def test_taskflow_hooks_report_each_tasks_datasets(run_example) -> None:
    """Each @task's events gain exactly the datasets its hook read and wrote.

    ``airflow dags test`` runs every task in one process, whose hook lineage collector keeps
    what earlier tasks reported (a worker runs each task in a fresh process), so the check is on
    what each task adds to what came before.
    """
    run, out = run_example("llm_lineage_taskflow")
    root = out / "taskflow"
    completes = sorted(
        (e for e in run.events if e["eventType"] == "COMPLETE" and "." in e["job"]["name"]),
        key=lambda e: e["eventTime"],
    )
    seen_in: set[Key] = set()
    seen_out: set[Key] = set()
    added: dict[str, tuple[set[Key], set[Key]]] = {}
    for event in completes:
        inputs = {key(d) for d in event["inputs"]}
        outputs = {key(d) for d in event["outputs"]}
        added[event["job"]["name"].rsplit(".", 1)[1]] = (inputs - seen_in, outputs - seen_out)
        seen_in |= inputs
        seen_out |= outputs
    text, tokens = root / "extracted" / "text.parquet", root / "tokens" / "tokens.parquet"
    assert added["extract"] == (
        {file_key(CORPUS)},
        {file_key(text), file_key(root / "extracted" / "manifest.parquet")},
    )
    assert added["tokenize"] == ({file_key(text)}, {file_key(tokens)})
    assert added["fine_tune"] == (
        {file_key(tokens), file_key(root / "tiny-base-model")},
        {file_key(root / "adapter")},
    )
    assert added["prepare_base_model"] == (set(), set())


def test_sharded_mapping_keeps_each_instances_lineage(run_example) -> None:
    run, out = run_example("llm_lineage_sharded")
    root = out / "sharded"
    shards = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    extracts = sorted(run.all("extract_documents", "COMPLETE"), key=map_index)
    tokenizes = {map_index(e): e for e in run.all("tokenize", "COMPLETE")}
    assert [map_index(e) for e in extracts] == list(range(len(shards))) == sorted(tokenizes)
    token_outputs = []
    for index, (shard, extract) in enumerate(zip(shards, extracts, strict=True)):
        assert [key(d) for d in extract["inputs"]] == [file_key(CORPUS / shard)]
        text = next(d for d in extract["outputs"] if d["name"].endswith("text.parquet"))
        assert key(text) == file_key(root / "shards" / shard / "extracted" / "text.parquet")
        [source] = tokenizes[index]["inputs"]
        assert (key(source), version(source)) == (key(text), version(text))
        [tokens] = tokenizes[index]["outputs"]
        assert key(tokens) == file_key(root / "shards" / shard / "tokens" / "tokens.parquet")
        token_outputs.append(tokens)
    fine_tune = run.of("fine_tune", "COMPLETE")
    *datasets, base = fine_tune["inputs"]
    assert [(key(d), version(d)) for d in datasets] == [(key(t), version(t)) for t in token_outputs]
    assert key(base) == file_key(root / "tiny-base-model")
    [adapter] = fine_tune["outputs"]
    step = adapter["facets"]["llmLineage_transformations"]["steps"][-1]
    assert [d["version"] for d in step["parameters"]["datasets"]] == [
        version(t) for t in token_outputs
    ]
    read = [d["inputFacets"]["inputStatistics"]["rowCount"] for d in datasets]
    assert all(rows > 0 for rows in read)


def test_each_mapped_extraction_reports_its_own_asset_event(
    run_example, airflow_home: Path
) -> None:
    """Mapped tasks get their alias when they run: each shard's text has its instance's event."""
    run, _ = run_example("llm_lineage_sharded")
    db = AirflowDb(airflow_home)
    for extract in run.all("extract_documents", "COMPLETE"):
        text = next(d for d in extract["outputs"] if d["name"].endswith("text.parquet"))
        [event] = db.events(DatasetId(*key(text)).uri)
        assert (event["source_map_index"], event["extra"]["version"]) == (
            map_index(extract),
            version(text),
        )
