"""``llm-lineage export`` and ``report licence`` on the events of one real pipeline run.

``compliance_runs.py`` runs ``tests/dags/compliance_pipeline.py`` once (extract with a source
declaration, curate, tokenize, fine-tune). Every export is validated by the official tools
(cyclonedx-python-lib's strict JSON validator for CycloneDX 1.6, mlcroissant for Croissant)
and every expected value is read from the events or the files, never from the exports.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from compliance_runs import (
    DECLARATION,
    EMAIL,
    SECRET_SENTENCE,
    ComplianceRun,
)
from llm_lineage.cli.main import main
from llm_lineage.lineage.declaration import DECLARATION_KEY

pytestmark = pytest.mark.dag

NOW = "2030-01-02T03:04:05+00:00"
#: The Commission template's sections (24 July 2025), as the summary must head them.
TEMPLATE_HEADINGS = [
    "1 General information",
    "1.1 Provider identification",
    "1.2 Model identification",
    "1.3 Modalities, overall training data size and other characteristics",
    "2 List of data sources",
    "2.1 Publicly available datasets",
    "2.2 Private non-publicly available datasets obtained from third parties",
    "2.3 Data crawled and scraped from online sources",
    "2.4 User data",
    "2.5 Synthetic data",
    "2.6 Other sources of data",
    "3 Data processing aspects",
    "3.1 Respect of reservation of rights from text and data mining exception or limitation",
    "3.2 Removal of illegal content",
    "3.3 Other information",
]


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(args))
    return status, out.getvalue(), err.getvalue()


def export(compliance: ComplianceRun, *args: str, now: str = NOW) -> str:
    status, out, err = run_cli(
        "export", *args, "--events", str(compliance.events_file), "--now", now
    )
    assert status == 0, err
    return out


def version(dataset: dict[str, Any]) -> str:
    return str(dataset["facets"]["version"]["datasetVersion"])


def named(event: dict[str, Any], suffix: str, side: str = "outputs") -> dict[str, Any]:
    return next(d for d in event[side] if d["name"].endswith(suffix))


def test_the_declaration_travels_in_the_facet_and_both_footers(
    compliance: ComplianceRun,
) -> None:
    source = compliance.complete("extract_documents")["inputs"][0]
    facet = source["facets"]["llmLineage_documentCollection"]
    assert "/1-1-0/" in facet["_schemaURL"]  # validated against it by run_dag
    assert facet["declaration"] == {
        "kind": "licensed_private",
        "licence": "CC-BY-4.0",
        "optOutRespected": True,
        "publicName": "Lineage team handbook",
    }
    for name in ("text.parquet", "manifest.parquet"):
        metadata = pq.read_metadata(compliance.out / "extracted" / name).metadata
        assert json.loads(metadata[DECLARATION_KEY.encode()]) == DECLARATION


def test_cyclonedx_bom_is_valid_and_names_the_whole_chain(
    compliance: ComplianceRun, tmp_path: Path
) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    target = tmp_path / "bom.json"
    export(compliance, "cyclonedx", str(compliance.adapter), "-o", str(target), "--validate")
    text = target.read_text()
    assert JsonStrictValidator(SchemaVersion.V1_6).validate_str(text) is None
    bom = json.loads(text)
    fine_tune, tokenize = compliance.complete("fine_tune"), compliance.complete("tokenize")
    adapter = bom["metadata"]["component"]
    assert adapter["type"] == "machine-learning-model"
    assert adapter["version"] == version(fine_tune["outputs"][0])
    card = adapter["modelCard"]
    training = fine_tune["run"]["facets"]["llmLineage_training"]
    properties = {p["name"]: p["value"] for p in card["properties"]}
    assert properties["llm-lineage:hyperparameter:learningRate"] == str(
        training["hyperparameters"]["learningRate"]
    )
    losses = {m["type"]: m["value"] for m in card["quantitativeAnalysis"]["performanceMetrics"]}
    assert losses["training loss (last)"] == str(training["loss"]["last"])
    cost = fine_tune["run"]["facets"]["llmLineage_resourceUsage"]["estimatedCost"]
    environment = card["considerations"]["environmentalConsiderations"]["properties"]
    assert {"name": "llm-lineage:estimated_cost_USD", "value": str(cost)} in environment
    components = {c["bom-ref"]: c for c in bom["components"]}
    by_type: dict[str, list[dict[str, Any]]] = {}
    for component in bom["components"]:
        by_type.setdefault(component["type"], []).append(component)
    base = by_type["machine-learning-model"]
    assert [c["version"] for c in base] == [version(named(fine_tune, "base", "inputs"))]
    data_versions = {c["version"] for c in by_type["data"]}
    assert data_versions == {
        version(compliance.complete("extract_documents")["inputs"][0]),
        version(named(compliance.complete("extract_documents"), "text.parquet")),
        version(named(compliance.complete("curate"), "text.parquet")),
        version(tokenize["outputs"][0]),
    }
    libraries = {(c["name"], c["version"]) for c in by_type["library"]}
    assert ("peft", adapter_peft(fine_tune)) in libraries
    assert {"pyarrow", "tokenizers", "lingua-language-detector"} <= {n for n, _ in libraries}
    graph = {d["ref"]: set(d["dependsOn"]) for d in bom["dependencies"]}
    tokens_ref = card["modelParameters"]["datasets"][0]["ref"]
    assert components[tokens_ref]["version"] == version(tokenize["outputs"][0])
    assert (
        tokens_ref in graph[adapter["bom-ref"]] and base[0]["bom-ref"] in graph[adapter["bom-ref"]]
    )
    assert all(ref in components for deps in graph.values() for ref in deps)


def adapter_peft(fine_tune: dict[str, Any]) -> str:
    return str(fine_tune["outputs"][0]["facets"]["llmLineage_loraAdapter"]["peftVersion"])


@pytest.mark.parametrize("dataset", ["curated/text.parquet", "tokens/tokens.parquet"])
def test_croissant_is_valid_and_filled_from_the_lineage(
    compliance: ComplianceRun, tmp_path: Path, dataset: str
) -> None:
    import mlcroissant

    target = tmp_path / "croissant.json"
    path = compliance.out / dataset
    export(compliance, "croissant", str(path), "-o", str(target), "--validate")
    root, handlers = logging.getLogger(), list(logging.getLogger().handlers)
    try:
        mlcroissant.Dataset(jsonld=str(target))  # raises ValidationError on any error
    finally:  # its warnings (absl) add a root handler on pytest's stream, closed after the test
        root.handlers[:] = handlers
    card = json.loads(target.read_text())
    assert card["conformsTo"] == "http://mlcommons.org/croissant/1.1"
    (distribution,) = card["distribution"]
    assert distribution["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    columns = [f["name"] for f in card["recordSet"][0]["field"]]
    assert columns == pq.read_schema(path).names
    assert card["prov:wasDerivedFrom"] == [{"@id": compliance.corpus.as_uri()}]
    assert card["license"] == "CC-BY-4.0"
    curation = named(compliance.complete("curate"), "text.parquet")["facets"]
    found = {p["kind"]: p["found"] for p in curation["llmLineage_curation"]["piiFound"]}
    assert found["email"] > 0  # the ledger note's address
    assert f"{found['email']} email" in card["rai:personalSensitiveInformation"]
    steps = [s.split(" ")[0] for s in card["rai:dataPreprocessingProtocol"]]
    assert steps[0] == "select_documents" and "pii_redact" in steps


def test_ai_act_summary_follows_the_template(compliance: ComplianceRun) -> None:
    markdown = export(compliance, "ai-act-summary", str(compliance.adapter))
    assert re.findall(r"^#{2,3} (.+)$", markdown, re.MULTILINE) == TEMPLATE_HEADINGS
    summary = json.loads(export(compliance, "ai-act-summary", str(compliance.adapter), "--json"))
    fields = {(s["number"], f["field"]): f for s in summary["sections"] for f in s["fields"]}
    tokens = compliance.complete("tokenize")["outputs"][0]["facets"]["llmLineage_tokenization"]
    assert fields[("1.3", "Training data size, exact")]["value"] == f"{tokens['tokens']} tokens"
    assert fields[("1.3", "Training data size (text)")]["value"] == "Less than 1 billion tokens"
    assert fields[("1.3", "Linguistic characteristics")]["value"].startswith("en (curation kept")
    listed = fields[("2.2", "Sources")]["value"]
    assert [(s["name"], s["licence"], s["location"]) for s in listed] == [
        ("Lineage team handbook", "CC-BY-4.0", compliance.corpus.as_uri())
    ]
    assert fields[("2.1", "Used")]["value"] == "No"
    for unknown in [("1.1", "Provider name and contact details"), ("3.2", "Measures to remove illegal content"), ("1.2", "Date of placement of the model on the Union market")]:  # fmt: skip
        assert fields[unknown] == {
            "field": unknown[1],
            "value": "[To be completed by the provider]",
            "source": "provider",
        }
    assert markdown.count("[To be completed by the provider]") >= 8


def test_an_unknown_adapter_gets_the_reports_error(compliance: ComplianceRun) -> None:
    events = ["--events", str(compliance.events_file)]
    status, _, report_error = run_cli("report", "trace", "no-such-adapter", *events)
    assert status == 2 and "no dataset 'no-such-adapter' in the lineage" in report_error
    for command in ("cyclonedx", "croissant", "ai-act-summary"):
        status, out, error = run_cli("export", command, "no-such-adapter", *events)
        assert (status, out, error) == (2, "", report_error)
    tokens = str(compliance.out / "tokens" / "tokens.parquet")
    status, _, error = run_cli("export", "cyclonedx", tokens, *events)
    assert status == 2 and "is a tokens dataset; export cyclonedx takes adapter" in error


def test_exports_are_the_same_bytes_but_for_the_timestamp(
    compliance: ComplianceRun, tmp_path: Path
) -> None:
    later = "2031-05-06T07:08:09+00:00"
    curated = str(compliance.out / "curated" / "text.parquet")
    adapter = str(compliance.adapter)
    for args in (
        ("cyclonedx", adapter),
        ("croissant", curated),
        ("ai-act-summary", adapter),
        ("ai-act-summary", adapter, "--json"),
    ):
        first, again, other = export(compliance, *args), export(compliance, *args), None
        assert first == again
        other = export(compliance, *args, now=later)
        assert other != first
        assert other.replace(later, NOW) == first


def test_no_document_text_or_author_name_in_any_export(compliance: ComplianceRun) -> None:
    curated = str(compliance.out / "curated" / "text.parquet")
    outputs = [
        export(compliance, "cyclonedx", str(compliance.adapter)),
        export(compliance, "croissant", curated),
        export(compliance, "croissant", str(compliance.out / "tokens" / "tokens.parquet")),
        export(compliance, "ai-act-summary", str(compliance.adapter)),
        export(compliance, "ai-act-summary", str(compliance.adapter), "--json"),
    ]
    texts = pq.read_table(compliance.out / "extracted" / "text.parquet").column("text")
    manifest = pq.read_table(compliance.out / "extracted" / "manifest.parquet")
    authors = {a for row in manifest.column("authors").to_pylist() for a in row or []}
    assert authors  # the sample corpus names its authors; the run's policy is "hash"
    snippets = [
        line.strip()[:60]
        for text in texts.to_pylist()
        for line in text.splitlines()
        if len(line.strip()) >= 40
    ]
    assert snippets and SECRET_SENTENCE in "".join(texts.to_pylist())
    for document in outputs:
        assert SECRET_SENTENCE not in document and EMAIL not in document
        assert [s for s in snippets if s in document] == []
        assert [a for a in authors if a in document] == []


def test_report_licence_names_the_adapters_trained_on_a_licence(
    compliance: ComplianceRun, tmp_path: Path
) -> None:
    events = ["--events", str(compliance.events_file)]
    status, out, _ = run_cli("report", "licence", "cc-by-4.0", "--json", *events)
    answer = json.loads(out)
    adapter_version = version(compliance.complete("fine_tune")["outputs"][0])
    assert status == 0 and [(a["adapter"], a["version"]) for a in answer["adapters"]] == [
        (compliance.adapter.as_uri(), adapter_version)
    ]
    assert answer["adapters"][0]["sources"][0]["public_name"] == "Lineage team handbook"
    status, out, _ = run_cli("report", "licence", "MIT", "--json", *events)
    assert (
        json.loads(out)["adapters"] == []
        and json.loads(out)["adapters_with_undeclared_sources"] == []
    )
    undeclared = tmp_path / "undeclared.jsonl"  # the same events, the declaration taken out
    lines = []
    for line in compliance.events_file.read_text().splitlines():
        event = json.loads(line)
        for dataset in event.get("inputs", []):
            dataset.get("facets", {}).get("llmLineage_documentCollection", {}).pop(
                "declaration", None
            )
        lines.append(json.dumps(event))
    undeclared.write_text("\n".join(lines) + "\n")
    status, out, _ = run_cli(
        "report", "licence", "CC-BY-4.0", "--json", "--events", str(undeclared)
    )
    answer = json.loads(out)
    assert answer["adapters"] == []
    assert [a["undeclared_sources"] for a in answer["adapters_with_undeclared_sources"]] == [
        [compliance.corpus.as_uri()]
    ]
    summary = json.loads(
        export_from(undeclared, "ai-act-summary", str(compliance.adapter), "--json")
    )
    fields = {
        (s["number"], f["field"]): f["value"] for s in summary["sections"] for f in s["fields"]
    }
    assert fields[("2", "Sources without a declaration")] == [compliance.corpus.as_uri()]
    assert fields[("2.1", "Used")] == "[To be completed by the provider]"


def export_from(events: Path, *args: str) -> str:
    status, out, err = run_cli("export", *args, "--events", str(events), "--now", NOW)
    assert status == 0, err
    return out


def test_a_spool_is_read_like_an_events_file(compliance: ComplianceRun, tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    (spool / "pending").mkdir(parents=True)
    for number, line in enumerate(compliance.events_file.read_text().splitlines()):
        (spool / "pending" / f"{number:05d}.json").write_text(line)
    expected = export(compliance, "ai-act-summary", str(compliance.adapter), "--json")
    status, out, err = run_cli(
        "export", "ai-act-summary", str(compliance.adapter), "--json", "--spool", str(spool),
        "--now", NOW,
    )  # fmt: skip
    assert (status, out) == (0, expected), err
    transport = {
        "type": "llm_lineage.transports.spool.SpoolTransport",
        "directory": str(spool),
        "transport": {"type": "console"},
    }
    configured = subprocess.run(
        [sys.executable, "-m", "llm_lineage.cli", "export", "ai-act-summary",
         str(compliance.adapter), "--json", "--spool", "--now", NOW],
        env={**os.environ, "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps(transport)},
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert (configured.returncode, configured.stdout) == (0, expected), configured.stderr
    status, _, err = run_cli("export", "cyclonedx", "x", "--spool", str(tmp_path / "none"))
    assert status == 2 and f"no spool at {tmp_path / 'none'}" in err
