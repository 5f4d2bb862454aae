"""Extraction results to OpenLineage datasets and facets: the one place these facts are shaped.

The operator (through the OpenLineage provider) and anything else that reports extraction use
these builders, so every path reports the same facts in the same facets.
"""

from __future__ import annotations

from openlineage.client.facet_v2 import JobFacet, extraction_error_run

from llm_lineage.extraction.model import DocumentFailure, ExtractionResult
from llm_lineage.facets import LlmLineageResourceUsageRunFacet, facet_key
from llm_lineage.lineage.extraction_collection import (
    MAX_AUTHORS,
    MAX_FOOTER_AUTHORS,
    shown_for,
    source_dataset,
)
from llm_lineage.lineage.extraction_outputs import output_datasets
from llm_lineage.lineage.extraction_plan import ExtractionPlan
from llm_lineage.lineage.extraction_steps import extraction_footer, transformation_steps
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import StepLineage, task_job_facets

__all__ = [
    "MAX_AUTHORS",
    "MAX_ERRORS",
    "MAX_ERROR_MESSAGE",
    "MAX_FOOTER_AUTHORS",
    "ExtractionPlan",
    "extraction_footer",
    "extraction_lineage",
    "transformation_steps",
]

#: Caps that keep an event small whatever the corpus (the manifest has the full detail).
MAX_ERRORS = 50
MAX_ERROR_MESSAGE = 500


def extraction_error_facet(
    result: ExtractionResult,
) -> extraction_error_run.ExtractionErrorRunFacet:
    """Documents that failed, capped at MAX_ERRORS; ``failedTasks`` keeps the true total."""

    def error(index: int, failure: DocumentFailure) -> extraction_error_run.Error:
        return extraction_error_run.Error(
            errorMessage=f"{failure.reason[:MAX_ERROR_MESSAGE]} [{failure.error_type}]",
            task=failure.source_uri,
            taskNumber=index,
        )

    return extraction_error_run.ExtractionErrorRunFacet(
        totalTasks=result.documents_seen,
        failedTasks=result.failure_count,
        errors=[error(i, f) for i, f in enumerate(result.failures[:MAX_ERRORS])],
    )


def resource_facet(result: ExtractionResult) -> LlmLineageResourceUsageRunFacet:
    written = sum(f.size_bytes for f in (result.text_output, result.manifest_output) if f)
    return LlmLineageResourceUsageRunFacet(
        wallSeconds=round(result.wall_seconds, 3),
        cpuSeconds=round(result.cpu_seconds, 3),
        peakMemoryBytes=result.peak_memory_bytes,
        bytesRead=result.bytes_read,
        bytesWritten=written,
        itemsProcessed=result.documents_seen,
        itemUnit="documents",
        itemsPerSecond=round(result.documents_per_second, 3),
    )


def job_facets(plan: ExtractionPlan) -> dict[str, JobFacet]:
    source, text = dataset_id(plan.source), dataset_id(plan.text)
    return task_job_facets(
        f"Extract text and metadata from the documents in {source.uri} "
        f"({', '.join(plan.settings.include)}) into {text.uri}, with a per-document manifest."
    )


def extraction_lineage(
    plan: ExtractionPlan, result: ExtractionResult | None, failed: bool = False
) -> StepLineage:
    """Lineage at start (``result`` None), completion, or ``failed`` (a partial ``result``).

    A failed run lists no outputs: it wrote none.
    """
    shown = shown_for(plan, result.summary) if result is not None else None
    lineage = StepLineage(
        inputs=[source_dataset(plan, result, shown)],
        outputs=[] if failed else output_datasets(plan, result, shown),
        job_facets=job_facets(plan),
    )
    if result is not None:
        if result.failure_count:  # an error facet on a clean run is a false alarm to consumers
            lineage.run_facets["extractionError"] = extraction_error_facet(result)
        lineage.run_facets[facet_key("resourceUsage")] = resource_facet(result)
    return lineage
