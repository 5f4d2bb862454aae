"""The text and manifest an extraction writes, as output datasets: schema, column lineage,
version, description, tags and lifecycle."""

from __future__ import annotations

from openlineage.client.event_v2 import OutputDataset
from openlineage.client.facet_v2 import DatasetFacet, documentation_dataset

from llm_lineage.common.outputs import WrittenFile
from llm_lineage.extraction.model import CorpusSummary, ExtractionResult
from llm_lineage.extraction.tables import MANIFEST_SCHEMA, TEXT_SCHEMA
from llm_lineage.facets import facet_key
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.authors import ShownAuthors
from llm_lineage.lineage.extraction_collection import shown_for
from llm_lineage.lineage.extraction_plan import ExtractionPlan
from llm_lineage.lineage.extraction_steps import transformation_steps
from llm_lineage.lineage.naming import DatasetId, dataset_id
from llm_lineage.lineage.standard_facets import (
    field_lineage,
    file_facets,
    lifecycle,
    output_statistics,
    tags,
    version,
)

_RECORD_LINEAGE: dict[str, tuple[str, str, str]] = {
    "doc_id": ("path", "TRANSFORMATION", "sha256 of the relative path"),
    "source_uri": ("path", "IDENTITY", "URI of the document"),
    "relative_path": ("path", "IDENTITY", "path relative to the source"),
    "sha256": ("content", "TRANSFORMATION", "sha256 of the bytes"),
    "size_bytes": ("content", "AGGREGATION", "byte count"),
    "format": ("path", "TRANSFORMATION", "format from the file extension"),
    "mime_type": ("path", "TRANSFORMATION", "MIME type from the file extension"),
    "title": ("title", "IDENTITY", "document metadata"),
    "authors": ("author", "TRANSFORMATION", "author field split into names"),
    "created": ("created", "IDENTITY", "metadata date, else file time"),
    "modified": ("modified", "IDENTITY", "metadata date, else file time"),
    "pages": ("content", "AGGREGATION", "page count"),
    "characters": ("content", "AGGREGATION", "characters of extracted text"),
    "encoding": ("content", "TRANSFORMATION", "detected text encoding"),
    "encoding_fallback": ("content", "TRANSFORMATION", "true when not UTF-8"),
}
TEXT_LINEAGE = {
    **_RECORD_LINEAGE,
    "text": ("content", "TRANSFORMATION", "text extracted by the format's reader"),
}
MANIFEST_LINEAGE = {
    **_RECORD_LINEAGE,
    "status": ("content", "TRANSFORMATION", "whether the document could be read"),
    "error": ("content", "TRANSFORMATION", "why it could not"),
}


def _describe(summary: CorpusSummary, failed: int, source: DatasetId, shown: ShownAuthors) -> str:
    formats = ", ".join(f"{count} {name}" for name, count in sorted(summary.formats.items()))
    authors = (
        f"{shown.distinct} distinct authors"
        if shown.prose is None
        else "authors: " + ", ".join(shown.prose)
    )
    return (
        f"Text of {summary.documents} documents ({formats}) extracted from {source.uri}; "
        f"{failed} failed. {authors}."
    )


def _text_facets(
    plan: ExtractionPlan, result: ExtractionResult, text: WrittenFile, shown: ShownAuthors
) -> dict[str, DatasetFacet]:
    """What the text dataset holds, once written: version, chain, description, tags."""
    source, summary = dataset_id(plan.source), result.summary
    return {
        "version": version(text.content_hash),
        "columnLineage": field_lineage(source, TEXT_LINEAGE),
        facet_key("transformations"): transformation_steps(plan, summary),
        "documentation": documentation_dataset.DocumentationDatasetFacet(
            description=_describe(summary, result.failure_count, source, shown),
            contentType="text/plain",
        ),
        "tags": tags(step="extraction", documents=str(summary.documents), source=source.uri),
        "lifecycleStateChange": lifecycle(plan.text in plan.replaced),
    }


def _manifest_facets(
    plan: ExtractionPlan, result: ExtractionResult, manifest: WrittenFile
) -> dict[str, DatasetFacet]:
    source = dataset_id(plan.source)
    return {
        "version": version(manifest.content_hash),
        "columnLineage": field_lineage(source, MANIFEST_LINEAGE),
        "documentation": documentation_dataset.DocumentationDatasetFacet(
            description=(
                f"Per-document record (no text) of {result.documents_seen} documents from "
                f"{source.uri}: identity, metadata, status and error."
            )
        ),
        "lifecycleStateChange": lifecycle(plan.manifest in plan.replaced),
    }


def output_datasets(
    plan: ExtractionPlan, result: ExtractionResult | None = None, shown: ShownAuthors | None = None
) -> list[OutputDataset]:
    """The text and manifest: where they go at start, and what they hold once written."""
    text_id, manifest_id = dataset_id(plan.text), dataset_id(plan.manifest)
    text_facets: dict[str, DatasetFacet] = {"schema": schema_facet(TEXT_SCHEMA)}
    manifest_facets: dict[str, DatasetFacet] = {"schema": schema_facet(MANIFEST_SCHEMA)}
    text_facets.update(file_facets(text_id))
    manifest_facets.update(file_facets(manifest_id))
    text, manifest = (result.text_output, result.manifest_output) if result else (None, None)
    if result is None or text is None or manifest is None:
        return [
            OutputDataset(namespace=text_id.namespace, name=text_id.name, facets=text_facets),
            OutputDataset(
                namespace=manifest_id.namespace, name=manifest_id.name, facets=manifest_facets
            ),
        ]
    text_facets.update(_text_facets(plan, result, text, shown or shown_for(plan, result.summary)))
    manifest_facets.update(_manifest_facets(plan, result, manifest))
    return [
        OutputDataset(
            namespace=text_id.namespace,
            name=text_id.name,
            facets=text_facets,
            outputFacets=output_statistics(text.rows, text.size_bytes),
        ),
        OutputDataset(
            namespace=manifest_id.namespace,
            name=manifest_id.name,
            facets=manifest_facets,
            outputFacets=output_statistics(manifest.rows, manifest.size_bytes),
        ),
    ]
