"""The lineage document: one task's lineage as JSON, kept in XCom for readers inside Airflow.

OpenLineage events leave Airflow through a transport, and the Airflow UI cannot read them back.
So each operator also stores the lineage it reports in XCom under XCOM_KEY: the metadata
database is the one store that the API server can read on any executor, with no shared file
system. This module owns the document's key and shape; operators write it
(``push_lineage`` in ``operators/emission.py``), the Airflow plugin reads it (``plugins/``).

The document holds the datasets and facets exactly as the events carry them (openlineage-python's
``Serde``, so ``_producer`` and ``_schemaURL`` included), after the event bounds
(``lineage/bounds.py``): they keep that part under ``BUDGET_BYTES`` (192 KiB), and the document
adds only its few envelope fields.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from openlineage.client.serde import Serde

from llm_lineage.lineage.chain import Provenance

#: The XCom key every operator of this provider pushes its lineage document under.
XCOM_KEY = "llm_lineage"
#: Bumped when a field changes meaning, so a reader can tell an older document from a newer one.
DOCUMENT_VERSION = 1


class ReportedLineage(Protocol):
    """What a step reports: ``StepLineage`` and the provider's ``OperatorLineage`` both are."""

    @property
    def inputs(self) -> Sequence[Any]: ...

    @property
    def outputs(self) -> Sequence[Any]: ...

    @property
    def run_facets(self) -> Mapping[str, Any]: ...

    @property
    def job_facets(self) -> Mapping[str, Any]: ...


def lineage_document(
    lineage: ReportedLineage,
    *,
    failed: bool = False,
    provenance: Sequence[Provenance] = (),
) -> dict[str, Any]:
    """``lineage`` as plain JSON values: ``eventType`` says whether it is COMPLETE or FAIL lineage.

    ``lineage`` must already be bounded: this only serializes it. ``provenance`` is what the
    inputs' Parquet footers say of the documents behind them (``lineage/chain.py``): bounded
    summaries, authors already under the extraction's policy. Events do not carry it; the tab
    shows it so that a tokenization or fine-tuning task says which documents it learned from.
    """
    document: dict[str, Any] = {
        "documentVersion": DOCUMENT_VERSION,
        "eventType": "FAIL" if failed else "COMPLETE",
        "inputs": [Serde.to_dict(dataset) for dataset in lineage.inputs],
        "outputs": [Serde.to_dict(dataset) for dataset in lineage.outputs],
        "run": {"facets": _facets(lineage.run_facets)},
        "job": {"facets": _facets(lineage.job_facets)},
    }
    if provenance:
        document["provenance"] = [dataclasses.asdict(item) for item in provenance]
    # Through JSON text and back: what is stored is exactly what a JSON reader gets back.
    plain: dict[str, Any] = json.loads(json.dumps(document, default=_non_serializable))
    return plain


def _facets(facets: Mapping[str, Any]) -> dict[str, Any]:
    return {key: Serde.to_dict(facet) for key, facet in facets.items()}


def _non_serializable(value: Any) -> str:
    """What Serde writes for a value JSON has no form for, so the document never fails to build."""
    return f"<<non-serializable: {type(value).__qualname__}>>"
