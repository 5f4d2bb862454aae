"""Whatever documents and parameters hold, every event is strict JSON, safe to store, and small.

Lineage comes from the real builders, goes through ``operator_lineage`` (what every operator
uses), and is wrapped in a real RunEvent serialized as the transports do.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from openlineage.client.event_v2 import Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.serde import Serde

from llm_lineage.extraction import ExtractionSettings
from llm_lineage.extraction.model import (
    DocumentFailure,
    DocumentRecord,
    ExtractionResult,
    WrittenFile,
)
from llm_lineage.facets import (
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
    facet_key,
)
from llm_lineage.lineage import bounds_report, escaping
from llm_lineage.lineage.bounds import bounded
from llm_lineage.lineage.escaping import escape_controls
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage
from llm_lineage.lineage.standard_facets import StepLineage, parquet_input
from llm_lineage.lineage.training import TrainingPlan, training_lineage
from llm_lineage.lineage.transformation_chain import build_steps
from llm_lineage.operators.emission import operator_lineage
from llm_lineage.operators.extraction import DocumentExtractionOperator
from llm_lineage.training import LoRASettings, TrainingResult, TrainingSettings
from llm_lineage.training.model import AdapterOutput, BaseModelInfo, FileDigest, LossPoint
from olvalidate import validate_event, validate_facet

MAX_EVENT_BYTES = 256_000  # "256 KB" read strictly
BOUNDS = facet_key("eventBounds")
COLLECTION = facet_key("documentCollection")
TRANSFORMATIONS = facet_key("transformations")
HOSTILE_TITLES = [
    "NUL\x00inside",
    "Windows\r\nline",
    "ANSI \x1b[31mred\x1b[0m",
    "invoice\u202egnp.exe",
    "<script>alert(1)</script>",
    "C1 \x85 next line, DEL \x7f, separator \u2028",
]


def _record(index: int, title: str | None, authors: tuple[str, ...], fmt: str = "pdf") -> Any:
    return DocumentRecord(
        doc_id=f"{index:064x}",
        source_uri=f"file:///data/corpus/doc-{index}.{fmt}",
        relative_path=f"doc-{index}.{fmt}",
        sha256=f"{index:064x}",
        size_bytes=1000,
        format=fmt,
        mime_type="application/pdf" if fmt == "pdf" else "text/plain",
        title=title,
        authors=authors,
        created=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc),
        created_source="metadata",
        modified=dt.datetime(2024, 2, 1, tzinfo=dt.timezone.utc),
        modified_source="metadata",
        pages=1,
        characters=500,
        encoding=None,
        encoding_fallback=False,
        extractor="test",
        extractor_version="0",
    )


def _plan(source: str = "/data/corpus") -> ExtractionPlan:
    return ExtractionPlan(
        source=source,
        text="/data/out/text.parquet",
        manifest="/data/out/manifest.parquet",
        settings=ExtractionSettings(),
    )


def _result(records: list[Any], failures: Sequence[DocumentFailure] = ()) -> ExtractionResult:
    result = ExtractionResult(source_uri="file:///data/corpus")
    for record in records:
        result.summary.add(record)
        result.summary.fingerprint(record.relative_path, record.sha256)
    for failure in failures:
        result.record_failure(failure)
    result.documents_seen = len(records) + result.failure_count
    result.text_output = WrittenFile("file:///data/out/text.parquet", len(records), 10, "a" * 16)
    result.manifest_output = WrittenFile("file:///data/out/manifest.parquet", 1, 10, "b" * 16)
    result.wall_seconds, result.cpu_seconds = 1.5, 1.2
    return result


def _event_json(lineage: Any, state: RunState = RunState.COMPLETE) -> str:
    """An OpenLineage RunEvent around ``lineage`` (StepLineage or OperatorLineage), as sent."""
    event = RunEvent(
        eventType=state,
        eventTime="2026-01-01T00:00:00Z",
        run=Run(runId=str(uuid.UUID(int=1)), facets=dict(lineage.run_facets)),
        job=Job(namespace="test", name="dag.task", facets=dict(lineage.job_facets)),
        inputs=list(lineage.inputs),
        outputs=list(lineage.outputs),
        producer="https://example.com/test",
    )
    return Serde.to_json(event)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _unsafe(text: str) -> list[str]:
    return [
        ch
        for ch in text
        if (unicodedata.category(ch) in ("Cc", "Cs", "Zl", "Zp") and ch not in "\t\n")
        or "\u202a" <= ch <= "\u202e"
        or "\u2066" <= ch <= "\u2069"
    ]


def _refuse(constant: str) -> Any:
    raise ValueError(f"not strict JSON: {constant}")


def _checked(text: str) -> dict[str, Any]:
    """The event, after asserting it is strict, safe, small and valid."""
    assert len(text.encode()) < MAX_EVENT_BYTES, len(text.encode())
    event: dict[str, Any] = json.loads(text, parse_constant=_refuse)
    for string in _strings(event):
        assert not _unsafe(string), (string[:200], _unsafe(string))
    validate_event(event)
    return event


def _truncations(event: dict[str, Any]) -> dict[str, tuple[int, int]]:
    facet = event["run"]["facets"][BOUNDS]
    return {t["path"]: (t["kept"], t["original"]) for t in facet["truncations"]}


def test_pathological_extraction_fits_and_says_what_was_cut() -> None:
    long_uri = "file:///data/corpus/" + "d" * 4096
    failures = [
        DocumentFailure(f"{long_uri}-{i}", f"f-{i}", "corrupt PDF:\x00 bad xref\r\n", "Error")
        for i in range(10_000)
    ]
    authors = tuple(f"Author {i} " + "n" * 5000 for i in range(3000))
    records = [_record(i, HOSTILE_TITLES[i % 6], authors[i::10]) for i in range(10)]
    result = _result(records, failures)
    result.summary.authors = Counter({name: 3000 - i for i, name in enumerate(authors)})

    event = _checked(_event_json(operator_lineage(extraction_lineage(_plan(), result))))

    facet = event["run"]["facets"][BOUNDS]
    validate_facet(facet)
    assert facet["bytesBefore"] > facet["budgetBytes"] >= facet["bytesAfter"]
    cut = _truncations(event)
    assert cut[f"inputs[0].facets.{COLLECTION}.sample"] == (0, 10)
    kept, original = cut["run.facets.extractionError.errors"]
    assert original == 50 and 0 < kept < 50
    assert facet["stringsCleaned"] >= 50 and facet["stringsCut"] >= 50
    assert facet["truncationCount"] == len(facet["truncations"])
    errors = event["run"]["facets"]["extractionError"]
    assert errors["failedTasks"] == 10_000  # the totals stay true
    assert len(errors["errors"]) == kept
    assert errors["errors"][0]["errorMessage"].startswith("corrupt PDF:\\x00 bad xref\n")
    collection = event["inputs"][0]["facets"][COLLECTION]
    assert collection["distinctAuthorCount"] == 3000
    assert all(len(a["name"]) <= bounds_report.MAX_STRING for a in collection["authors"])
    assert collection["authors"][0]["name"].endswith(escaping.CUT_MARKER)


def test_strings_are_escaped_by_field_and_kept_when_harmless() -> None:
    records = [_record(i, title, ("Ann\nLee",)) for i, title in enumerate(HOSTILE_TITLES)]
    failure = DocumentFailure("file:///data/corpus/x\x01.pdf", "x", "line one\r\n\tline two", "E")
    plan = _plan("/data/co\x01rpus\twith tab")

    event = _checked(
        _event_json(operator_lineage(extraction_lineage(plan, _result(records, [failure]))))
    )

    source = event["inputs"][0]
    assert source["name"] == "/data/co\\x01rpus\twith tab"  # identity: escaped, tab kept, not cut
    titles = [s["title"] for s in source["facets"][COLLECTION]["sample"]]
    assert titles == [
        "NUL\\x00inside",
        "Windows\\x0d\\x0aline",
        "ANSI \\x1b[31mred\\x1b[0m",
        "invoice\\u202egnp.exe",
        "<script>alert(1)</script>",  # JSON, not HTML: markup is the consumer's to escape
        "C1 \\x85 next line, DEL \\x7f, separator \\u2028",
    ]
    assert source["facets"][COLLECTION]["authors"][0]["name"] == "Ann\\x0aLee"
    error = event["run"]["facets"]["extractionError"]["errors"][0]
    assert error["task"] == "file:///data/corpus/x\\x01.pdf"
    assert error["errorMessage"].startswith("line one\n\tline two")  # multi-line by nature
    description = event["outputs"][0]["facets"]["documentation"]["description"]
    assert "authors: Ann\nLee" in description  # multi-line by nature
    facet = event["run"]["facets"][BOUNDS]
    assert facet["truncations"] == [] and facet["stringsCut"] == 0
    assert facet["stringsCleaned"] >= 8  # 5 titles, the author, the error's task and message


def _training(cost_per_hour: float, losses: list[float]) -> Any:
    plan = TrainingPlan(
        datasets=("/data/tokens/tokens.parquet",),
        output="/data/adapter",
        base_model="/models/base",
        base_location="/models/base",
        lora=LoRASettings(),
        training=TrainingSettings(max_steps=len(losses)),
        cost_per_hour=cost_per_hour,
    )
    base = BaseModelInfo(
        source="/models/base",
        location="file:///models/base",
        path="/models/base",
        revision=None,
        resolved_revision=None,
        model_type="gpt2",
        architectures=("GPT2LMHeadModel",),
        config_sha256="c" * 64,
        weight_files=(FileDigest("model.safetensors", 100, "d" * 64),),
        fingerprint="e" * 64,
    )
    result = TrainingResult(
        sequences=10,
        planned_steps=len(losses),
        steps=len(losses),
        sequences_seen=10,
        rows_read=[10],
        tokens_seen=1280,
        losses=[LossPoint(step, loss) for step, loss in enumerate(losses, 1)],
        device="cpu",
        device_count=1,
        precision="fp32",
        target_modules=("c_attn",),
        trainable_parameters=10,
        total_parameters=100,
        libraries={"torch": "2", "peft": "0.1"},
        output=AdapterOutput((FileDigest("adapter_model.safetensors", 10, "f" * 64),), "f" * 64),
        wall_seconds=2.0,
        train_seconds=1.0,
        cpu_seconds=1.5,
    )
    return training_lineage(plan, base, None, result)


def test_non_finite_numbers_are_left_out() -> None:
    lineage = _training(math.inf, [5.0, math.nan, 4.0, math.inf])

    event = _checked(_event_json(operator_lineage(lineage)))

    training = event["run"]["facets"][facet_key("training")]
    assert training["loss"] == {"first": 5.0, "best": 4.0, "bestStep": 3}  # last (inf) left out
    assert training["lossCurve"] == [{"step": 1, "loss": 5.0}, {"step": 3, "loss": 4.0}]
    usage = event["run"]["facets"][facet_key("resourceUsage")]
    assert "costPerHour" not in usage and "estimatedCost" not in usage
    facet = event["run"]["facets"][BOUNDS]
    assert facet["nonFiniteNumbers"] == 5  # 2 loss points, loss.last, cost, estimated cost
    assert _truncations(event) == {f"run.facets.{facet_key('training')}.lossCurve": (2, 4)}


def test_a_clean_small_lineage_passes_unchanged() -> None:
    records = [_record(0, "Report", ("Ann Lee",)), _record(1, "Notes", (), fmt="text")]
    lineage = extraction_lineage(_plan(), _result(records))
    expected = _event_json(lineage)

    assert bounded(lineage) is lineage
    training = _training(2.5, [5.0, 4.5, 4.0])
    assert bounded(training) is training
    guarded = _event_json(operator_lineage(lineage))
    assert guarded == expected
    assert BOUNDS not in _checked(guarded)["run"]["facets"]
    # the separators of the readers' parameters are data, not control characters to escape
    steps = json.loads(guarded)["outputs"][0]["facets"][facet_key("transformations")]["steps"]
    assert {"page_separator": "\n\n"}.items() <= steps[1]["parameters"].items()


def test_many_datasets_fit_by_dropping_facets_then_datasets() -> None:
    shards = [f"/data/shard-{index:05d}/{'t' * 200}/tokens.parquet" for index in range(2000)]
    lineage = StepLineage(inputs=[parquet_input(shard, None, 10) for shard in shards])

    event = _checked(_event_json(operator_lineage(lineage), RunState.START))

    cut = _truncations(event)
    assert "inputs" in cut and cut["inputs"][1] == 2000
    assert any(kept == 0 for kept, _ in cut.values())  # whole facets went first
    facet = event["run"]["facets"][BOUNDS]
    assert facet["truncationCount"] > len(facet["truncations"]) == bounds_report.MAX_REPORTED


def test_the_bulk_inside_one_item_is_halved_not_the_list_around_it() -> None:
    patterns = [f"*.ext{index:05d}" for index in range(20_000)]
    steps = build_steps(
        "seed",
        "extraction",
        [
            ("select_documents", "llm-lineage", "1", {"include": patterns}, "documents chosen"),
            ("extract_text", "llm-lineage", "1", {}, "text"),
            ("write_parquet", "pyarrow", "1", {}, "rows"),
        ],
    )
    facet = LlmLineageTransformationsDatasetFacet(steps=steps, fingerprint=steps[-1].fingerprint)
    output = OutputDataset("file", "/data/out/text.parquet", facets={TRANSFORMATIONS: facet})

    event = _checked(_event_json(operator_lineage(StepLineage(outputs=[output]))))

    kept_steps = event["outputs"][0]["facets"][TRANSFORMATIONS]["steps"]
    assert [s["name"] for s in kept_steps] == ["select_documents", "extract_text", "write_parquet"]
    include = kept_steps[0]["parameters"]["include"]
    assert include == patterns[: len(include)] and 0 < len(include) < len(patterns)
    path = f"outputs[0].facets.{TRANSFORMATIONS}.steps[0].parameters.include"
    assert _truncations(event) == {path: (len(include), len(patterns))}


def test_the_guard_never_raises() -> None:
    lineage = _training(1.0, [1.0])
    step = TransformationStep(
        name="odd",
        library="x",
        version="1",
        parameters={"lock": threading.Lock()},
        fingerprint="0",
        step="training",
    )
    lineage.run_facets["odd"] = step  # type: ignore[assignment]  # cannot be copied

    safe = bounded(lineage)

    assert [(d.namespace, d.name) for d in safe.inputs] == [
        (d.namespace, d.name) for d in lineage.inputs
    ]
    assert all(not d.facets for d in [*safe.inputs, *safe.outputs])
    assert safe.run_facets == {} and safe.job_facets == {}


def test_operators_report_through_the_guard() -> None:
    operator = DocumentExtractionOperator(task_id="extract", source="/in", destination="/out")
    failures = [
        DocumentFailure(f"file:///in/{'p' * 4000}-{i}\x1b", "p", "bad\x00", "E") for i in range(60)
    ]
    operator._partial = _result([_record(0, "T\x00", ())], failures)

    event = _checked(_event_json(operator.get_openlineage_facets_on_failure(None), RunState.FAIL))

    assert "run.facets.extractionError.errors" in _truncations(event)


@pytest.mark.parametrize(
    ("text", "keep_lines", "expected"),
    [
        ("a\x00b", False, "a\\x00b"),
        ("tab\tline\n", False, "tab\\x09line\\x0a"),
        ("tab\tline\n", True, "tab\tline\n"),
        ("cr\r", True, "cr\\x0d"),
        ("\u202eevil\u2066", True, "\\u202eevil\\u2066"),
        ("lone \udc80 surrogate", False, "lone \\udc80 surrogate"),
        (
            "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \u200f",
            False,
            "caf\u00e9 \u05e9\u05dc\u05d5\u05dd \u200f",
        ),
    ],
)
def test_escape_controls(text: str, keep_lines: bool, expected: str) -> None:
    assert escape_controls(text, keep_lines) == expected


def test_cut_strings_end_in_the_marker_and_never_in_half_an_escape() -> None:
    record = _record(0, "x" * (bounds_report.MAX_STRING - 8) + "\x00\x00\x00", ())
    lineage = extraction_lineage(_plan(), _result([record]))

    title = bounded(lineage).inputs[0].facets[COLLECTION].sample[0].title  # type: ignore[union-attr]

    assert len(title) <= bounds_report.MAX_STRING
    assert title.endswith("x" + escaping.CUT_MARKER)


def test_a_declared_source_name_and_licence_are_escaped() -> None:
    from dataclasses import replace

    from llm_lineage.lineage.declaration import load_declaration

    declared = {"kind": "other", "licence": "MIT\x1b[2J", "public_name": "Hand\u202ebook\r\n"}
    plan = replace(_plan(), declaration=load_declaration(declared))
    records = [_record(0, "title", ("Ann",))]
    event = _checked(_event_json(operator_lineage(extraction_lineage(plan, _result(records)))))
    facet = event["inputs"][0]["facets"][COLLECTION]["declaration"]
    assert facet == {
        "kind": "other",
        "licence": "MIT\\x1b[2J",
        "publicName": "Hand\\u202ebook\\x0d\\x0a",
    }  # opt-outs not declared: left out, which readers take as "not declared"
