"""A real DAG: extract → curate → tokenize, one connected graph of validated events, and the
failures of curation reported with what the run got through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from conftest import TESTS, DagRun, RunDag
from curation_fixtures import write_corpus
from tokenizers_fixtures import train_bpe

pytestmark = pytest.mark.dag


@pytest.fixture(scope="module")
def pipeline(run_dag: RunDag, tmp_path_factory: pytest.TempPathFactory) -> tuple[DagRun, Path]:
    root = tmp_path_factory.mktemp("curation")
    corpus = write_corpus(root / "corpus")
    bpe = train_bpe(root / "bpe")
    out = root / "out"
    run = run_dag(
        TESTS / "dags" / "curation_pipeline.py",
        "curation_pipeline",
        env={"TEST_CORPUS": str(corpus), "TEST_OUTPUT": str(out), "TEST_BPE": str(bpe.parent)},
    )
    return run, out


def _ids(datasets: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(d["namespace"], d["name"]) for d in datasets]


def _version(dataset: dict[str, Any]) -> str:
    return dataset["facets"]["version"]["datasetVersion"]


def test_curation_reads_the_text_and_writes_text_and_decisions(pipeline) -> None:
    run, out = pipeline
    text = run.of("extract", "COMPLETE")["outputs"][0]
    start, complete = run.of("curate", "START"), run.of("curate", "COMPLETE")
    assert _ids(start["inputs"]) == _ids(complete["inputs"]) == _ids([text])
    assert _version(complete["inputs"][0]) == _version(text)
    expected = [("file", str(out / "curated" / "text.parquet"))]
    expected.append(("file", str(out / "curated" / "decisions.parquet")))
    assert _ids(start["outputs"]) == _ids(complete["outputs"]) == expected
    curated, decisions = complete["outputs"]
    assert (
        _version(curated)
        == pq.read_metadata(out / "curated" / "text.parquet")
        .metadata[b"llm_lineage.content_hash"]
        .decode()
    )
    assert decisions["outputFacets"]["outputStatistics"]["rowCount"] == 10
    assert curated["outputFacets"]["outputStatistics"]["rowCount"] == 4


def test_the_curation_facet_counts_without_values(pipeline) -> None:
    run, out = pipeline
    curated = run.of("curate", "COMPLETE")["outputs"][0]
    facet = curated["facets"]["llmLineage_curation"]
    assert (facet["documentsIn"], facet["documentsOut"], facet["documentsChanged"]) == (10, 4, 1)
    dropped = {item["rule"]: item["documents"] for item in facet["dropped"]}
    assert dropped["language"] == 3 and dropped["near_duplicate"] == 1
    assert dropped["exact_duplicate"] == 1
    assert {item["kind"]: item["found"] for item in facet["piiFound"]} == {
        "email": 2,
        "iban": 0,
        "card": 1,
        "ip": 0,
        "phone": 1,
    }
    assert facet["settings"]["languages"] == ["en"] and facet["piiMode"] == "redact"
    assert {lib["name"] for lib in facet["libraries"]} == {"lingua-language-detector", "datasketch"}
    assert facet["decisionsUri"] == (out / "curated" / "decisions.parquet").as_uri()
    events = "".join(str(event) for event in run.events)
    assert (
        "jane.doe" not in events
        and "7946 0958" not in events
        and "Die Stadtbibliothek" not in events
    )


def test_chain_and_column_lineage(pipeline) -> None:
    run, _ = pipeline
    text = run.of("extract", "COMPLETE")["outputs"][0]
    curated = run.of("curate", "COMPLETE")["outputs"][0]
    inherited = text["facets"]["llmLineage_transformations"]["steps"]
    steps = curated["facets"]["llmLineage_transformations"]["steps"]
    assert steps[: len(inherited)] == inherited
    assert [(s["name"], s["step"]) for s in steps[len(inherited) :]] == [
        ("language_filter", "curation"),
        ("quality_filter", "curation"),
        ("pii_redact", "curation"),
        ("deduplicate", "curation"),
        ("write_parquet", "curation"),
    ]
    columns = curated["facets"]["columnLineage"]
    text_field = columns["fields"]["text"]["inputFields"][0]
    assert (text_field["name"], text_field["field"]) == (text["name"], "text")
    assert text_field["transformations"][0]["masking"] is True
    assert columns["dataset"][0]["transformations"][0]["subtype"] == "FILTER"


def test_tokenization_reads_the_curated_text_and_continues_the_chain(pipeline) -> None:
    run, out = pipeline
    curated = run.of("curate", "COMPLETE")["outputs"][0]
    tokens = run.of("tokenize", "COMPLETE")
    assert _ids(tokens["inputs"]) == _ids([curated])
    assert _version(tokens["inputs"][0]) == _version(curated)
    facet = tokens["outputs"][0]["facets"]["llmLineage_tokenization"]
    assert facet["documentsIn"] == 4
    steps = tokens["outputs"][0]["facets"]["llmLineage_transformations"]["steps"]
    assert [s["step"] for s in steps].count("curation") == 5
    chain = curated["facets"]["llmLineage_transformations"]["steps"]
    assert steps[: len(chain)] == chain
    doc_ids = set(pq.read_table(out / "tokens" / "tokens.parquet").column("doc_id").to_pylist())
    kept = set(pq.read_table(out / "curated" / "text.parquet").column("doc_id").to_pylist())
    assert doc_ids == kept


def test_nothing_kept_fails_with_the_counts(pipeline) -> None:
    run, out = pipeline
    failed = run.of("nothing_kept", "FAIL")
    assert failed["outputs"] == []
    assert failed["run"]["facets"]["llmLineage_resourceUsage"]["itemsProcessed"] == 10
    assert failed["inputs"][0]["inputFacets"]["inputStatistics"]["rowCount"] == 10
    assert "all 10 documents" in run.output and "language: 10" in run.output
    assert not (out / "nothing_kept" / "text.parquet").exists()


def test_a_source_that_is_not_extraction_output_fails_clearly(pipeline) -> None:
    run, _ = pipeline
    failed = run.of("not_extraction", "FAIL")
    assert failed["outputs"] == []
    assert "missing column(s) text" in run.output


# -- the governance report on these events -----------------------------------------------------


def _events_file(run: DagRun, folder: Path) -> Path:
    import json

    path = folder / "events.jsonl"
    path.write_text("".join(json.dumps(event) + "\n" for event in run.events))
    return path


def test_report_trace_says_a_document_was_dropped_and_why(pipeline, tmp_path: Path) -> None:
    from report_fixtures import cli, cli_json

    run, out = pipeline
    events, tokens = str(_events_file(run, tmp_path)), str(out / "tokens" / "tokens.parquet")
    corpus = Path(run.of("extract", "COMPLETE")["inputs"][0]["name"])
    status, doc = cli_json(
        "trace", tokens, "--document", str(corpus / "d-rivers-edited.txt"), "--events", events
    )
    assert status == 1 and doc["document"]["verdict"] == "no"
    assert doc["document"]["explanation"] == "dropped by curation (near-duplicate of a-rivers.txt)"
    [curation] = doc["document"]["curations"]
    assert curation["decisions"] == (out / "curated" / "decisions.parquet").as_uri()
    status, text = cli(
        "trace", tokens, "--document", str(corpus / "f-library-de.txt"), "--events", events
    )
    assert status == 1 and "feeds this dataset: no (dropped by curation (language))" in text
    status, text = cli(
        "trace", tokens, "--document", str(corpus / "j-registration.txt"), "--events", events
    )
    assert status == 0
    assert (
        "feeds this dataset: yes (kept; redacted: 2 e-mail addresses, 1 phone number, 1 card number)"
        in text
    )
    status, text = cli(
        "trace", tokens, "--document", str(corpus / "a-rivers.txt"), "--events", events
    )
    assert status == 0 and "feeds this dataset: yes (kept)" in text


def test_report_usage_counts_the_tokens_curation_saved(pipeline, tmp_path: Path) -> None:
    from llm_lineage.events.units import count
    from report_fixtures import cli, cli_json

    run, _ = pipeline
    events = str(_events_file(run, tmp_path))
    status, doc = cli_json("usage", "--events", events)
    assert status == 0
    [saved] = doc["usage"]["curation"]
    curated = run.of("curate", "COMPLETE")["outputs"][0]["facets"]["llmLineage_curation"]
    tokens = run.of("tokenize", "COMPLETE")["outputs"][0]["facets"]["llmLineage_tokenization"]
    rate = tokens["tokensPerDocument"]["mean"] * tokens["documentsOut"] / curated["charactersOut"]
    assert saved["documents_dropped"] == 6
    assert saved["characters_dropped"] == curated["charactersDropped"]
    assert saved["tokens_saved"] == round(curated["charactersDropped"] * rate) > 0
    decisions = next(d for d in doc["usage"]["datasets"] if d["name"].endswith("decisions.parquet"))
    assert decisions["kind"] == "decisions" and "orphaned" not in decisions["flags"]
    _, text = cli("usage", "--events", events)
    assert f"about {count(saved['tokens_saved'])} tokens not tokenized or trained on" in text
