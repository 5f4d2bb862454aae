"""The example pipeline, for real, into DataHub: the metadata file and, through the spool, GMS.

One ``airflow dags test llm_lineage_pipeline`` whose transport is a composite of three: the
file transport (the OpenLineage events, validated as every DAG test does), the DataHub
transport's file sink, and the spool transport wrapping the DataHub transport's server sink,
pointed at a stand-in GMS on 127.0.0.1 (``datahub_gms.py``). The spool's background forwarder
delivers the rebuilt events; GMS must end with exactly what the file holds, and the file must
pass DataHub's own ``datahub check metadata-file``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from conftest import AIRFLOW
from datahub_gms import OPENAPI_VERSION, FakeGms, as_multiset, file_proposals, latest
from llm_lineage.transports.spool_store import Spool
from olvalidate import read_events, validate_event

pytestmark = pytest.mark.dag

EXAMPLES = Path(__file__).resolve().parent.parent / "example_dags"
DAG = "llm_lineage_pipeline"
TYPE = "llm_lineage.transports.datahub.DataHubTransport"
DATAHUB = Path(sys.executable).with_name("datahub")


def wait_for_spool(directory: Path, seconds: float = 120.0) -> Spool:
    spool = Spool(directory, 1 << 30)
    deadline = time.monotonic() + seconds
    while spool.waiting() and time.monotonic() < deadline:
        time.sleep(0.5)
    return spool


@pytest.fixture(scope="module")
def pipeline(airflow_home: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("datahub-pipeline")
    events, metadata, spool = root / "events.jsonl", root / "datahub.json", root / "spool"
    with FakeGms(OPENAPI_VERSION) as gms:
        transports = [
            {"type": "file", "log_file_path": str(events), "append": True},
            {"type": TYPE, "filename": str(metadata)},
            {
                "type": "llm_lineage.transports.spool.SpoolTransport",
                "directory": str(spool),
                "transport": {"type": TYPE, "server": gms.url, "token": "pipeline-token"},
            },
        ]
        env = {
            **os.environ,
            "AIRFLOW__CORE__DAGS_FOLDER": str(EXAMPLES),
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(
                {"type": "composite", "transports": transports}
            ),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "llm-lineage-test",
            "LLM_LINEAGE_OUTPUT": str(root / "out"),
        }
        result = subprocess.run(
            [str(AIRFLOW), "dags", "test", DAG],
            capture_output=True,
            text=True,
            env=env,
            timeout=600,
        )
        assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
        status = wait_for_spool(spool).status()
        proposals = list(gms.proposals)
    ol_events = read_events(events)
    for item in ol_events:
        validate_event(item)
    return ol_events, metadata, proposals, status, root / "out" / DAG.split("_")[-1]


def urns_of(outputs: Path) -> dict[str, str]:
    def dataset(path: Path) -> str:
        return f"urn:li:dataset:(urn:li:dataPlatform:file,{path},PROD)"

    return {
        "corpus": dataset(EXAMPLES / "data" / "sample_corpus"),
        "text": dataset(outputs / "extracted" / "text.parquet"),
        "curated": dataset(outputs / "curated" / "text.parquet"),
        "tokens": dataset(outputs / "tokens" / "tokens.parquet"),
    }


def complete(events: list[dict[str, Any]], task: str) -> dict[str, Any]:
    [found] = [
        e for e in events if e["job"]["name"] == f"{DAG}.{task}" and e["eventType"] == "COMPLETE"
    ]
    return found


def test_the_metadata_file_passes_datahubs_own_check(pipeline) -> None:
    _, metadata, *_ = pipeline
    result = subprocess.run(
        [str(DATAHUB), "check", "metadata-file", str(metadata)],
        capture_output=True,
        text=True,
        env={**os.environ, "DATAHUB_TELEMETRY_ENABLED": "false"},
        timeout=300,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    count = len(json.loads(metadata.read_text()))
    assert f"{count} MCEs found - all valid" in result.stdout


def test_adapter_model_training_data_and_edges_come_from_the_live_run(pipeline) -> None:
    events, metadata, _, _, outputs = pipeline
    catalog = file_proposals(metadata)
    urns = urns_of(outputs)
    [adapter] = complete(events, "fine_tune")["outputs"]
    sha = adapter["facets"]["version"]["datasetVersion"]
    model = f"urn:li:mlModel:(urn:li:dataPlatform:file,{outputs / 'adapter'}@{sha[:16]},PROD)"
    properties = latest(catalog, model, "mlModelProperties")
    params = {p["name"]: p["value"] for p in properties["hyperParams"]}
    metrics = {m["name"]: m["value"] for m in properties["trainingMetrics"]}
    loss = complete(events, "fine_tune")["run"]["facets"]["llmLineage_training"]["loss"]
    assert params["lora_r"] == "8" and float(metrics["loss_last"]) == loss["last"]
    data = latest(catalog, model, "mlModelTrainingData")["trainingData"]
    assert [d["dataset"] for d in data] == [
        urns["tokens"],
        urns["curated"],
        urns["text"],
        urns["corpus"],
    ]
    steps = data[0]["preProcessing"]
    assert steps[0].startswith("extraction.select_documents")
    assert steps[-1].startswith("tokenization.write_parquet")
    curation = [line.split(" | ")[0] for line in steps if line.startswith("curation.")]
    assert curation == [
        "curation.language_filter",
        "curation.quality_filter",
        "curation.pii_redact",
        "curation.deduplicate",
        "curation.write_parquet",
    ]
    # what curation kept, dropped and found, as the curated text's properties
    curated = latest(catalog, urns["curated"], "datasetProperties")["customProperties"]
    assert (curated["curation.documentsIn"], curated["curation.documentsOut"]) == ("15", "13")
    assert '"rule":"near_duplicate"' in curated["curation.dropped"]
    for child, parent in (("tokens", "curated"), ("curated", "text"), ("text", "corpus")):
        lineage = latest(catalog, urns[child], "upstreamLineage")
        assert [u["dataset"] for u in lineage["upstreams"]] == [urns[parent]]


def test_gms_got_through_the_spool_exactly_what_the_file_holds(pipeline) -> None:
    _, metadata, proposals, status, _ = pipeline
    assert (status.pending, status.dead_letter) == (0, 0)
    assert proposals and as_multiset(proposals) == as_multiset(file_proposals(metadata))
