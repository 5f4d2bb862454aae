"""The validator the other tests rely on must reject what the spec rejects."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any

import pytest
from openlineage.client.event_v2 import Job, Run, RunEvent, RunState
from openlineage.client.serde import Serde

from llm_lineage.extraction import ExtractionSettings
from llm_lineage.extraction.model import CorpusSummary, ExtractionResult
from llm_lineage.facets import packaged_schemas
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage
from olvalidate import REGISTRY, EventValidationError, validate_event


def _event_from_builders() -> dict[str, Any]:
    plan = ExtractionPlan(
        source="/data/corpus",
        text="/data/out/text.parquet",
        manifest="/data/out/manifest.parquet",
        settings=ExtractionSettings(),
        author_policy=AuthorPolicy.INCLUDE,
    )
    result = ExtractionResult(source_uri="file:///data/corpus", summary=CorpusSummary())
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


def test_packaged_schema_ids_match_the_facets_schema_urls() -> None:
    from llm_lineage.facets import (
        LlmLineageDocumentCollectionDatasetFacet,
        LlmLineageResourceUsageRunFacet,
        LlmLineageTransformationsDatasetFacet,
    )

    classes = [
        LlmLineageDocumentCollectionDatasetFacet,
        LlmLineageResourceUsageRunFacet,
        LlmLineageTransformationsDatasetFacet,
    ]
    ids = set(packaged_schemas())
    for facet_class in classes:
        url = facet_class._get_schema()
        base, fragment = url.split("#")
        assert base in ids
        assert fragment == f"/$defs/{facet_class.__name__}"
        assert REGISTRY.contents(base)["$defs"][facet_class.__name__]
