"""The extraction builders (``lineage/extraction.py``) at start, completion and failure.

Plans and engine results are built directly, no DAG runs: each test calls the builder, checks
the datasets and facets, then wraps them into an OpenLineage RunEvent and validates it strictly
(the envelope against the spec, every facet against its ``_schemaURL``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from openlineage.client.event_v2 import RunState

from lineage_fixtures import step_event
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.extraction import ExtractionSettings
from llm_lineage.extraction.model import DocumentFailure, DocumentRecord, ExtractionResult
from llm_lineage.facets import facet_key
from llm_lineage.lineage.authors import AuthorPolicy, author_token
from llm_lineage.lineage.chain import read_chain, read_provenance
from llm_lineage.lineage.extraction import (
    MAX_AUTHORS,
    MAX_ERRORS,
    MAX_FOOTER_AUTHORS,
    ExtractionPlan,
    extraction_footer,
    extraction_lineage,
)
from llm_lineage.lineage.standard_facets import StepLineage
from llm_lineage.lineage.transformation_chain import chain_fingerprint

COLLECTION = facet_key("documentCollection")
TRANSFORMATIONS = facet_key("transformations")
RESOURCES = facet_key("resourceUsage")
SALT = "pepper"
#: ``(format, authors)`` per document; Zed and Bob tie with Amy, and are seen before her.
DOCUMENTS = [
    ("pdf", ("Zed Zimmer", "Bob Brown")),
    ("text", ("Bob Brown",)),
    ("pdf", ("Amy Adams", "Zed Zimmer")),
    ("text", ()),
    ("pdf", ("Amy Adams",)),
]
NAMES = ("Zed", "Zimmer", "Bob", "Brown", "Amy", "Adams")


def _event(lineage: StepLineage, state: RunState) -> dict[str, Any]:
    return step_event(lineage, state, "extract")


def _plan(policy: AuthorPolicy = AuthorPolicy.INCLUDE, replaced: frozenset[str] = frozenset()):
    return ExtractionPlan(
        source="/data/corpus",
        text="/data/out/text.parquet",
        manifest="/data/out/manifest.parquet",
        settings=ExtractionSettings(include=("*.pdf", "*.txt")),
        author_policy=policy,
        author_salt=SALT,
        replaced=replaced,
    )


def _record(index: int, fmt: str, authors: tuple[str, ...]) -> DocumentRecord:
    return DocumentRecord(
        doc_id=f"{index:064x}",
        source_uri=f"file:///data/corpus/doc-{index}.{fmt}",
        relative_path=f"doc-{index}.{fmt}",
        sha256=f"{index:064x}",
        size_bytes=100 * (index + 1),
        format=fmt,
        mime_type="application/pdf" if fmt == "pdf" else "text/plain",
        title=f"Title {index}",
        authors=authors,
        created=dt.datetime(2024, 1, index + 1, tzinfo=dt.timezone.utc),
        created_source="metadata" if fmt == "pdf" else "filesystem",
        modified=dt.datetime(2024, 3, index + 1, tzinfo=dt.timezone.utc),
        modified_source="filesystem",
        pages=2 if fmt == "pdf" else None,
        characters=1000,
        encoding=None if fmt == "pdf" else "utf-8",
        encoding_fallback=False,
        extractor="test",
        extractor_version="0",
    )


def _result(failures: int = 1, written: bool = True) -> ExtractionResult:
    """A run over DOCUMENTS plus ``failures`` unreadable ones; ``written`` False: it stopped."""
    result = ExtractionResult(source_uri="file:///data/corpus")
    for index, (fmt, authors) in enumerate(DOCUMENTS):
        record = _record(index, fmt, authors)
        result.summary.add(record)
        result.summary.fingerprint(record.relative_path, record.sha256)
    for index in range(failures):
        result.record_failure(
            DocumentFailure(f"file:///data/corpus/bad-{index}.pdf", f"bad-{index}.pdf", "x", "E")
        )
    result.documents_seen = len(DOCUMENTS) + failures
    result.bytes_read = 4321
    if written:
        result.text_output = WrittenFile("file:///data/out/text.parquet", 5, 2000, "a" * 64)
        result.manifest_output = WrittenFile("file:///data/out/manifest.parquet", 6, 500, "b" * 64)
    result.wall_seconds, result.cpu_seconds, result.peak_memory_bytes = 2.0, 1.5, 10**8
    return result


def test_start_names_the_datasets_and_nothing_the_run_has_not_learned() -> None:
    lineage = extraction_lineage(_plan(), None)

    (source,) = lineage.inputs
    assert (source.namespace, source.name) == ("file", "/data/corpus")
    assert set(source.facets or {}) == {"dataSource", "schema", "datasetType"}
    assert source.inputFacets == {}
    assert [(o.namespace, o.name) for o in lineage.outputs] == [
        ("file", "/data/out/text.parquet"),
        ("file", "/data/out/manifest.parquet"),
    ]
    for output in lineage.outputs:
        assert set(output.facets or {}) == {"schema", "storage", "datasetType"}
    assert lineage.run_facets == {}
    assert set(lineage.job_facets) == {"documentation", "jobType"}

    event = _event(lineage, RunState.START)
    job = event["job"]["facets"]["documentation"]["description"]
    assert job == (
        "Extract text and metadata from the documents in file:///data/corpus (*.pdf, *.txt) "
        "into file:///data/out/text.parquet, with a per-document manifest."
    )
    assert event["inputs"][0]["facets"]["datasetType"]["subType"] == "DOCUMENT_COLLECTION"


def test_complete_describes_the_documents_read() -> None:
    result = _result(failures=2)

    event = _event(extraction_lineage(_plan(), result), RunState.COMPLETE)

    source = event["inputs"][0]
    assert source["facets"]["version"]["datasetVersion"] == result.summary.collection_version
    assert source["inputFacets"]["inputStatistics"] == {
        **source["inputFacets"]["inputStatistics"],
        "rowCount": 7,
        "size": 4321,
        "fileCount": 7,
    }
    collection = source["facets"][COLLECTION]
    assert {k: collection[k] for k in ("documentCount", "failedDocumentCount", "totalBytes")} == {
        "documentCount": 5,
        "failedDocumentCount": 2,
        "totalBytes": 1500,
    }
    assert collection["totalPages"] == 6 and collection["totalCharacters"] == 5000
    assert [(f["format"], f["mimeType"], f["documentCount"]) for f in collection["formats"]] == [
        ("pdf", "application/pdf", 3),
        ("text", "text/plain", 2),
    ]
    assert collection["authorPolicy"] == "include"
    assert [(a["name"], a["documentCount"]) for a in collection["authors"]] == [
        ("Amy Adams", 2),
        ("Bob Brown", 2),
        ("Zed Zimmer", 2),
    ]
    assert collection["distinctAuthorCount"] == 3 and collection["authorsTruncated"] is False
    assert collection["documentsWithoutAuthor"] == 1
    assert (collection["datesFromMetadata"], collection["datesFromFilesystem"]) == (3, 2)
    assert collection["created"] == {
        "earliest": "2024-01-01T00:00:00+00:00",
        "latest": "2024-01-05T00:00:00+00:00",
    }
    assert [s["uri"] for s in collection["sample"]][:2] == [
        "file:///data/corpus/doc-0.pdf",
        "file:///data/corpus/doc-1.text",
    ]
    assert collection["manifestUri"] == "file:///data/out/manifest.parquet"


def test_complete_describes_the_outputs() -> None:
    plan = _plan(replaced=frozenset({"/data/out/text.parquet"}))

    event = _event(extraction_lineage(plan, _result()), RunState.COMPLETE)

    text, manifest = event["outputs"]
    assert text["facets"]["version"]["datasetVersion"] == "a" * 64
    assert manifest["facets"]["version"]["datasetVersion"] == "b" * 64
    assert text["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"
    assert manifest["facets"]["lifecycleStateChange"]["lifecycleStateChange"] == "CREATE"
    stats = text["outputFacets"]["outputStatistics"]
    assert (stats["rowCount"], stats["size"], stats["fileCount"]) == (5, 2000, 1)
    assert manifest["outputFacets"]["outputStatistics"]["rowCount"] == 6
    assert {"text", "doc_id", "authors"} <= set(text["facets"]["columnLineage"]["fields"])
    assert {"status", "error"} <= set(manifest["facets"]["columnLineage"]["fields"])
    assert "text" not in manifest["facets"]["columnLineage"]["fields"]
    assert text["facets"]["documentation"]["description"] == (
        "Text of 5 documents (3 pdf, 2 text) extracted from file:///data/corpus; 1 failed. "
        "authors: Zed Zimmer, Bob Brown, Amy Adams."  # the order first seen, among equals
    )
    assert manifest["facets"]["documentation"]["description"].startswith(
        "Per-document record (no text) of 6 documents from file:///data/corpus"
    )
    tags = {t["key"]: t["value"] for t in text["facets"]["tags"]["tags"]}
    assert tags == {
        "llm_lineage.step": "extraction",
        "llm_lineage.documents": "5",
        "llm_lineage.source": "file:///data/corpus",
    }
    assert TRANSFORMATIONS not in manifest["facets"]


def test_the_chain_starts_from_the_collection_and_lists_the_readers_used() -> None:
    result = _result()

    event = _event(extraction_lineage(_plan(), result), RunState.COMPLETE)

    chain = event["outputs"][0]["facets"][TRANSFORMATIONS]
    steps = chain["steps"]
    assert [s["name"] for s in steps] == [
        "select_documents",
        "extract_pdf",
        "extract_text",
        "write_parquet",
    ]
    assert {s["step"] for s in steps} == {"extraction"}
    assert steps[0]["parameters"]["include"] == ["*.pdf", "*.txt"]
    previous = result.summary.collection_version
    for step in steps:
        previous = chain_fingerprint(
            previous, step["name"], step["library"], step["version"], step["parameters"]
        )
        assert step["fingerprint"] == previous
    assert chain["fingerprint"] == previous


def test_run_facets_report_errors_and_resources() -> None:
    lineage = extraction_lineage(_plan(), _result(failures=MAX_ERRORS + 5))

    run = _event(lineage, RunState.COMPLETE)["run"]["facets"]

    errors = run["extractionError"]
    assert (errors["totalTasks"], errors["failedTasks"]) == (MAX_ERRORS + 10, MAX_ERRORS + 5)
    assert len(errors["errors"]) == MAX_ERRORS
    assert errors["errors"][0] == {
        "errorMessage": "x [E]",
        "task": "file:///data/corpus/bad-0.pdf",
        "taskNumber": 0,
    }
    usage = run[RESOURCES]
    assert (usage["wallSeconds"], usage["cpuSeconds"], usage["peakMemoryBytes"]) == (2.0, 1.5, 1e8)
    assert (usage["bytesRead"], usage["bytesWritten"], usage["itemsProcessed"]) == (4321, 2500, 60)
    assert usage["itemUnit"] == "documents" and usage["itemsPerSecond"] == 30.0


def test_a_clean_run_has_no_error_facet() -> None:
    lineage = extraction_lineage(_plan(), _result(failures=0))

    assert "extractionError" not in lineage.run_facets
    assert RESOURCES in _event(lineage, RunState.COMPLETE)["run"]["facets"]


def test_failure_reports_what_the_run_read_and_no_outputs() -> None:
    partial = _result(failures=3, written=False)

    lineage = extraction_lineage(_plan(), partial, failed=True)

    assert lineage.outputs == []
    event = _event(lineage, RunState.FAIL)
    collection = event["inputs"][0]["facets"][COLLECTION]
    assert (collection["documentCount"], collection["failedDocumentCount"]) == (5, 3)
    assert event["inputs"][0]["inputFacets"]["inputStatistics"]["rowCount"] == 8
    run = event["run"]["facets"]
    assert run["extractionError"]["failedTasks"] == 3
    assert run[RESOURCES]["bytesWritten"] == 0
    assert set(event["job"]["facets"]) == {"documentation", "jobType"}


def test_unwritten_outputs_are_named_without_facts() -> None:
    """A result without its files (not failed) names the outputs as at start."""
    lineage = extraction_lineage(_plan(), _result(written=False))

    for output in _event(lineage, RunState.COMPLETE)["outputs"]:
        assert set(output["facets"]) == {"schema", "storage", "datasetType"}


@pytest.mark.parametrize("policy", list(AuthorPolicy))
def test_every_author_view_follows_the_policy(policy: AuthorPolicy) -> None:
    plan, result = _plan(policy), _result()

    event = _event(extraction_lineage(plan, result), RunState.COMPLETE)
    footer = extraction_footer(plan, result)

    collection = event["inputs"][0]["facets"][COLLECTION]
    summary = read_provenance({k.encode(): v.encode() for k, v in footer.items()})
    assert summary is not None and summary.documents is not None
    shown = {
        AuthorPolicy.INCLUDE: [("Amy Adams", 2), ("Bob Brown", 2), ("Zed Zimmer", 2)],
        AuthorPolicy.HASH: [
            (author_token(name, SALT), 2) for name in ("Amy Adams", "Bob Brown", "Zed Zimmer")
        ],
        AuthorPolicy.OMIT: [],
    }[policy]
    assert [(a["name"], a["documentCount"]) for a in collection["authors"]] == shown
    assert list(summary.documents.authors) == shown
    assert collection["authorPolicy"] == summary.documents.author_policy == policy.value
    assert collection["distinctAuthorCount"] == summary.documents.distinct_authors == 3
    description = event["outputs"][0]["facets"]["documentation"]["description"]
    if policy is AuthorPolicy.INCLUDE:
        assert description.endswith("authors: Zed Zimmer, Bob Brown, Amy Adams.")
    else:
        assert description.endswith("1 failed. 3 distinct authors.")
        everything = json.dumps(event) + json.dumps(footer)
        assert not any(name in everything for name in NAMES)


def test_author_lists_are_capped_where_each_is_shown() -> None:
    result = _result()
    result.summary.authors.update({f"Author {i:03d}": 1 for i in range(MAX_AUTHORS + 10)})
    plan = _plan()

    collection = extraction_lineage(plan, result).inputs[0].facets[COLLECTION]  # type: ignore[index]
    provenance = read_provenance(
        {k.encode(): v.encode() for k, v in extraction_footer(plan, result).items()}
    )

    assert len(collection.authors) == MAX_AUTHORS and collection.authorsTruncated  # type: ignore[attr-defined]
    assert collection.distinctAuthorCount == MAX_AUTHORS + 13  # type: ignore[attr-defined]
    assert provenance is not None and provenance.documents is not None
    assert len(provenance.documents.authors) == MAX_FOOTER_AUTHORS
    assert provenance.documents.distinct_authors == MAX_AUTHORS + 13


def test_footer_carries_the_chain_the_text_reports() -> None:
    plan, result = _plan(), _result()

    footer = extraction_footer(plan, result)
    written_by, chain = read_chain({k.encode(): v.encode() for k, v in footer.items()})

    reported = extraction_lineage(plan, result).outputs[0].facets[TRANSFORMATIONS]  # type: ignore[index]
    assert written_by == "extraction"
    assert chain == reported.steps  # type: ignore[attr-defined]
    provenance = read_provenance({k.encode(): v.encode() for k, v in footer.items()})
    assert provenance is not None and provenance.documents is not None
    documents = provenance.documents
    assert (documents.source, documents.version) == (
        "file:///data/corpus",
        result.summary.collection_version,
    )
    assert (documents.documents, documents.failed) == (5, 1)
    assert documents.formats == (("pdf", 3), ("text", 2))
    assert documents.created == ("2024-01-01T00:00:00+00:00", "2024-01-05T00:00:00+00:00")
    assert provenance.text is None and provenance.tokenizer is None
