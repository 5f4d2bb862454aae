"""The lineage document in XCom: within the event budget, redacted as events are, never fatal.

The plugin's pages read this document (``plugins/``); ``push_lineage`` (``operators/emission.py``)
stores it from each operator. The pages themselves are tested in ``test_plugins_views.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openlineage.client.event_v2 import OutputDataset
from openlineage.client.facet_v2 import documentation_dataset, tags_dataset

from llm_lineage.facets import facet_key
from llm_lineage.lineage.bounds import BUDGET_BYTES
from llm_lineage.lineage.document import lineage_document
from llm_lineage.lineage.standard_facets import StepLineage
from llm_lineage.lineage.transformation_chain import continue_chain
from llm_lineage.operators.emission import as_sent, operator_lineage, push_lineage


def test_lineage_document_of_oversized_lineage_stays_within_the_budget() -> None:
    tags = [
        tags_dataset.TagsDatasetFacetFields(key=f"tag-{i}", value="v" * 40, source="test")
        for i in range(20_000)
    ]
    lineage = StepLineage(
        outputs=[
            OutputDataset(
                namespace="file",
                name="/data/out",
                facets={"tags": tags_dataset.TagsDatasetFacet(tags=tags)},
            )
        ]
    )
    document = lineage_document(operator_lineage(lineage))
    assert len(json.dumps(document).encode()) < BUDGET_BYTES + 4096
    assert "llmLineage_eventBounds" in document["run"]["facets"]
    assert document["outputs"][0]["name"] == "/data/out"


def test_the_document_hides_what_the_events_hide() -> None:
    """Masked values and values under secret-looking keys are ``***`` in events, and so here."""
    from airflow.sdk.log import mask_secret

    mask_secret("hunter2-not-for-lineage")
    facet = documentation_dataset.DocumentationDatasetFacet(
        description="read with hunter2-not-for-lineage"
    )
    lineage = operator_lineage(
        StepLineage(outputs=[OutputDataset("file", "/data/out", facets={"documentation": facet})])
    )
    document = lineage_document(as_sent(lineage))
    description = document["outputs"][0]["facets"]["documentation"]["description"]
    assert description == "read with ***"
    assert facet.description == "read with hunter2-not-for-lineage"  # redacted on a copy


def test_step_parameters_keep_the_tokenizer_and_mask_what_airflow_knows() -> None:
    """The encode step names its tokenizer; a value Airflow masks is still ``***``."""
    from airflow.sdk.log import mask_secret

    mask_secret("Kx9Qm-parameter-not-for-lineage")
    chain = continue_chain(
        [],
        "seed",
        "tokenization",
        [
            (
                "encode",
                "tokenizers",
                "0.22",
                {
                    "tokenizer": "/models/gpt2",
                    "tokenizer_sha256": "ab" * 32,
                    "revision": "rev-Kx9Qm-parameter-not-for-lineage",
                    "access_token": "not-for-lineage",
                },
                None,
            )
        ],
    )
    key = facet_key("transformations")
    lineage = StepLineage(outputs=[OutputDataset("file", "/data/t", facets={key: chain})])
    document = lineage_document(as_sent(operator_lineage(lineage)))
    [step] = document["outputs"][0]["facets"][key]["steps"]
    assert step["parameters"] == {
        "tokenizer": "/models/gpt2",
        "tokenizer_sha256": "ab" * 32,
        "revision": "rev-***",
        "access_token": "***",
    }
    assert step["fingerprint"] == chain.steps[0].fingerprint  # hashed from what was given
    assert chain.steps[0].parameters["revision"].endswith("not-for-lineage")  # a new facet


class _Refusing:
    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        raise RuntimeError("lineage could not be built")

    get_openlineage_facets_on_failure = get_openlineage_facets_on_complete


class _TaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_push_lineage_never_fails_the_task(caplog: pytest.LogCaptureFixture) -> None:
    ti = _TaskInstance()
    push_lineage(_Refusing(), {"ti": ti}, failed=True)
    assert ti.pushed == {}
    assert "Could not store this task's lineage" in caplog.text
