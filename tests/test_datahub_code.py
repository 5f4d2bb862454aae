"""The code and environment of a training in DataHub: the adapter's ``sourceCode`` and properties.

The pipeline events (``datahub_pipeline_events.jsonl``) predate the facets; each test adds the
``sourceCodeLocation`` job facet and the ``llmLineage_environment`` run facet a run from a git
checkout emits (``test_provenance_dag.py`` checks those on real runs).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from openlineage.client.transport import get_default_factory

from conftest import TESTS
from datahub_gms import file_proposals, latest
from llm_lineage.transports.events import rehydrate

EVENTS = [
    json.loads(line) for line in (TESTS / "datahub_pipeline_events.jsonl").read_text().splitlines()
]
OUT = "/data/llm-out/pipeline"
DAG = "llm_lineage_pipeline"
COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
URL = f"https://github.com/org/pipelines/blob/{COMMIT}/dags/llm_lineage_pipeline.py"
FINGERPRINT = "7ec876c2a401cf5254ce7c364ef8d269779cb43f4cf4d6226c440389ca094d9a"


def _with_code(event: dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(event)
    if "." not in event["job"]["name"]:
        return event
    event["job"].setdefault("facets", {})["sourceCodeLocation"] = {
        "_producer": "https://example.com",
        "_schemaURL": "https://openlineage.io/spec/facets/1-1-0/SourceCodeLocationJobFacet.json#/$defs/SourceCodeLocationJobFacet",
        "type": "git",
        "url": URL,
        "repoUrl": "https://github.com/org/pipelines.git",
        "path": "dags/llm_lineage_pipeline.py",
        "version": COMMIT,
        "branch": "main",
    }
    event["run"]["facets"]["llmLineage_environment"] = {
        "_producer": "https://example.com",
        "_schemaURL": "https://llm-lineage.github.io/spec/facets/1-0-0/LlmLineageEnvironmentRunFacet.json#/$defs/LlmLineageEnvironmentRunFacet",
        "pythonVersion": "3.11.7",
        "pythonImplementation": "CPython",
        "os": "Linux",
        "osRelease": "6.1",
        "architecture": "x86_64",
        "providerVersion": "0.1.0",
        "fingerprint": FINGERPRINT,
        "distributionCount": 288,
        "libraries": {"torch": "2.6.0"},
        "sourceCode": {
            "origin": "gitCheckout",
            "repoUrl": "https://github.com/org/pipelines.git",
            "path": "dags/llm_lineage_pipeline.py",
            "commit": COMMIT,
            "dirty": True,
        },
    }
    return event


def _catalog(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "metadata.json"
    target = get_default_factory().create(
        {"type": "llm_lineage.transports.datahub.DataHubTransport", "filename": str(path)}
    )
    for event in EVENTS:
        target.emit(rehydrate(_with_code(event)))
    return file_proposals(path)


def _adapter_urn() -> str:
    [complete] = [
        e for e in EVENTS if e["job"]["name"] == f"{DAG}.fine_tune" and e["eventType"] == "COMPLETE"
    ]
    sha = complete["outputs"][0]["facets"]["version"]["datasetVersion"]
    return f"urn:li:mlModel:(urn:li:dataPlatform:file,{OUT}/adapter@{sha[:16]},PROD)"


def test_the_adapter_links_to_its_training_code_and_names_the_environment(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    urn = _adapter_urn()
    source = latest(catalog, urn, "sourceCode")
    assert source["sourceCode"] == [{"type": "TRAINING_PIPELINE_SOURCE_CODE", "sourceCodeUrl": URL}]
    properties = latest(catalog, urn, "mlModelProperties")["customProperties"]
    assert properties["code.commit"] == COMMIT
    assert properties["code.repoUrl"] == "https://github.com/org/pipelines.git"
    assert properties["code.dirty"] == "true"
    assert properties["environment.fingerprint"] == FINGERPRINT


def test_runs_and_jobs_carry_the_code_and_environment(tmp_path: Path) -> None:
    catalog = _catalog(tmp_path)
    runs = [
        p["aspect"]["customProperties"]
        for p in catalog
        if p["aspectName"] == "dataProcessInstanceProperties"
        and p["aspect"]["customProperties"].get("task_id") == "extract_documents"
    ]
    assert runs and all(r["environment.fingerprint"] == FINGERPRINT for r in runs)
    assert all(r["environment.sourceCode.commit"] == COMMIT for r in runs)
    job = f"urn:li:dataJob:(urn:li:dataFlow:(airflow,{DAG},prod),tokenize)"
    assert latest(catalog, job, "dataJobInfo")["customProperties"]["code.commit"] == COMMIT
    training = [p["aspect"] for p in catalog if p["aspectName"] == "mlTrainingRunProperties"]
    assert training and training[-1]["customProperties"]["code.commit"] == COMMIT


def test_without_a_code_location_there_is_no_source_code_aspect(tmp_path: Path) -> None:
    path = tmp_path / "metadata.json"
    target = get_default_factory().create(
        {"type": "llm_lineage.transports.datahub.DataHubTransport", "filename": str(path)}
    )
    for event in EVENTS:
        target.emit(rehydrate(event))
    catalog = file_proposals(path)
    assert not [p for p in catalog if p["aspectName"] == "sourceCode"]
    properties = latest(catalog, _adapter_urn(), "mlModelProperties")["customProperties"]
    assert not any(key.startswith("code.") for key in properties)
