"""The validators others rely on: events against the spec, settings against their rules.

Settings errors must name the parameter as the user wrote it; an error without one used to read
``parameter '?'``.
"""

from __future__ import annotations

import copy
import json
import math
import uuid
from typing import Any

import pytest
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.serde import Serde

from llm_lineage.extraction import ExtractionSettings
from llm_lineage.extraction.model import CorpusSummary, DocumentFailure, ExtractionResult
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage
from llm_lineage.operators.validation import InvalidParameterError, settings, validated
from llm_lineage.tokenization import TokenizationSettings
from llm_lineage.training import LoRASettings, TrainingSettings
from olvalidate import EventValidationError, validate_event


def _event_from_builders() -> dict[str, Any]:
    plan = ExtractionPlan(
        source="/data/corpus",
        text="/data/out/text.parquet",
        manifest="/data/out/manifest.parquet",
        settings=ExtractionSettings(),
        author_policy=AuthorPolicy.INCLUDE,
    )
    result = ExtractionResult(source_uri="file:///data/corpus", summary=CorpusSummary())
    result.record_failure(
        DocumentFailure("file:///data/corpus/a.pdf", "a.pdf", "corrupt PDF: no %PDF header", "X")
    )
    lineage = extraction_lineage(plan, result, failed=True)
    event = RunEvent(
        eventType=RunState.FAIL,
        eventTime="2026-01-01T00:00:00Z",
        run=Run(runId=str(uuid.uuid4()), facets=lineage.run_facets),
        job=Job(namespace="test", name="job", facets=lineage.job_facets),
        inputs=lineage.inputs,
        outputs=lineage.outputs,
        producer="https://example.com/test",
    )
    return json.loads(Serde.to_json(event))


def test_builder_event_is_valid() -> None:
    validate_event(_event_from_builders())


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda e: e.pop("eventTime"), "eventTime"),
        (lambda e: e["run"].update(runId="not-a-uuid"), "uuid"),
        (
            lambda e: e["inputs"][0]["facets"]["dataSource"].update(
                _schemaURL="https://example.com/x.json"
            ),
            "unknown _schemaURL",
        ),
        (lambda e: e["run"]["facets"]["extractionError"].pop("failedTasks"), "failedTasks"),
        (
            lambda e: e["run"]["facets"]["llmLineage_resourceUsage"].update(wallSeconds=-1),
            "wallSeconds",
        ),
        (lambda e: e["job"]["facets"]["documentation"].pop("_producer"), "_producer"),
    ],
)
def test_validator_rejects_broken_events(mutate: Any, expected: str) -> None:
    event = copy.deepcopy(_event_from_builders())
    mutate(event)
    with pytest.raises(EventValidationError, match=expected):
        validate_event(event)


@pytest.mark.parametrize(
    ("model", "values", "parameter", "message"),
    [
        (TokenizationSettings, {"max_length": None}, "max_length", "max_length must be set"),
        (TokenizationSettings, {"max_length": 8, "stride": 8}, "stride", "must be smaller"),
        (TokenizationSettings, {"progress_interval": math.inf}, "progress_interval", "finite"),
        (TokenizationSettings, {"progress_interval": math.nan}, "progress_interval", "finite"),
        (TokenizationSettings, {"row_group_rows": True}, "row_group_rows", "not a boolean"),
        (TrainingSettings, {"precision": "fp16", "device": "cpu"}, "device", "needs device"),
        (TrainingSettings, {"max_steps": 2, "warmup_steps": 3}, "warmup_steps", "more than"),
        (TrainingSettings, {"learning_rate": -math.inf}, "learning_rate", "finite"),
        (LoRASettings, {"alpha": False}, "alpha", "not a boolean"),
        (LoRASettings, {"dropout": math.inf}, "dropout", "finite"),
    ],
)
def test_settings_errors_name_their_parameter(
    model: Any, values: dict[str, Any], parameter: str, message: str
) -> None:
    with pytest.raises(InvalidParameterError) as raised:
        validated("Owner(task_id='t')", model, **values)
    text = str(raised.value)
    assert text.startswith(f"Owner(task_id='t'): parameter '{parameter}': ")
    assert message in text


def test_dict_settings_errors_carry_the_parameter_prefix() -> None:
    with pytest.raises(InvalidParameterError, match=r"^O: parameter 'training.warmup_steps': "):
        settings("O", "training", TrainingSettings, {"max_steps": 2, "warmup_steps": 3})
    with pytest.raises(InvalidParameterError, match=r"^O: parameter 'training.device': "):
        settings("O", "training", TrainingSettings, {"precision": "fp16", "device": "cpu"})


def test_cross_field_check_waits_for_a_valid_earlier_field() -> None:
    """Only the field that is wrong is reported, not a follow-on error about its neighbour."""
    with pytest.raises(InvalidParameterError) as raised:
        validated("O", TokenizationSettings, max_length=0, stride=5)
    assert str(raised.value) == (
        "O: parameter 'max_length': Input should be greater than 0 (got 0)"
    )


def test_lax_numbers_still_parse() -> None:
    """Refusing booleans does not make the settings strict: "8" and 8.0 are still 8."""
    parsed = validated("O", TrainingSettings, batch_size="8", epochs=2.0, learning_rate="0.01")
    assert (parsed.batch_size, parsed.epochs, parsed.learning_rate) == (8, 2, 0.01)
