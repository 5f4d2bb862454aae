"""Extraction results to OpenLineage datasets and facets: the one place these facts are shaped.

The operator (through the OpenLineage provider) and anything else that reports extraction use
these builders, so every path reports the same facts in the same facets.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    dataset_type_dataset,
    documentation_dataset,
    extraction_error_run,
    input_statistics_input_dataset,
    schema_dataset,
)

from llm_lineage import __version__
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.common.versions import package_version
from llm_lineage.extraction.formats import FORMATS
from llm_lineage.extraction.model import CorpusSummary, DocumentFailure, ExtractionResult
from llm_lineage.extraction.readers import READERS
from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.extraction.tables import COLLECTION_FIELDS, MANIFEST_SCHEMA, TEXT_SCHEMA
from llm_lineage.facets import (
    DateRange,
    DocumentSample,
    FormatCount,
    LlmLineageDocumentCollectionDatasetFacet,
    LlmLineageResourceUsageRunFacet,
    LlmLineageTransformationsDatasetFacet,
    facet_key,
)
from llm_lineage.facets import SourceDeclaration as DeclarationFacet
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.authors import AuthorPolicy, ShownAuthors, shown_authors
from llm_lineage.lineage.chain import (
    DocumentsSummary,
    Provenance,
    chain_footer,
    provenance_footer,
)
from llm_lineage.lineage.declaration import SourceDeclaration
from llm_lineage.lineage.naming import DatasetId, dataset_id
from llm_lineage.lineage.standard_facets import (
    StepLineage,
    data_source,
    field_lineage,
    file_facets,
    lifecycle,
    output_statistics,
    tags,
    task_job_facets,
    version,
)
from llm_lineage.lineage.transformation_chain import StepSpec, continue_chain

#: Caps that keep an event small whatever the corpus (the manifest has the full detail).
MAX_ERRORS = 50
MAX_AUTHORS = 50
MAX_ERROR_MESSAGE = 500
#: Authors the Parquet footer's documents summary keeps (the most frequent): it is read by every
#: later step and shown on the adapter's model card, so it stays a few hundred bytes.
MAX_FOOTER_AUTHORS = 20


@dataclass(frozen=True)
class ExtractionPlan:
    """Where a run reads and writes, known before it starts."""

    source: str
    text: str
    manifest: str
    settings: ExtractionSettings
    author_policy: AuthorPolicy = AuthorPolicy.INCLUDE
    author_salt: str | None = None
    #: Outputs that existed before the run (OVERWRITE rather than CREATE).
    replaced: frozenset[str] = frozenset()
    #: What the pipeline's operator declared about the source (kind, licence, ...), if anything.
    declaration: SourceDeclaration | None = None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _date_range(low: dt.datetime | None, high: dt.datetime | None) -> DateRange | None:
    if low is None or high is None:
        return None
    return DateRange(earliest=low.isoformat(), latest=high.isoformat())


def _shown(plan: ExtractionPlan, summary: CorpusSummary) -> ShownAuthors:
    return shown_authors(summary.authors, plan.author_policy, plan.author_salt)


def collection_facet(
    summary: CorpusSummary, failed: int, plan: ExtractionPlan, shown: ShownAuthors | None = None
) -> LlmLineageDocumentCollectionDatasetFacet:
    """The documents read: counts, formats, dates, a sample, and authors under the policy."""
    shown = shown or _shown(plan, summary)
    authors, truncated = shown.top(MAX_AUTHORS)
    return LlmLineageDocumentCollectionDatasetFacet(
        documentCount=summary.documents,
        failedDocumentCount=failed,
        totalBytes=summary.bytes,
        totalCharacters=summary.characters,
        totalPages=summary.pages,
        formats=[
            FormatCount(format=name, mimeType=summary.mime_types[name], documentCount=count)
            for name, count in sorted(summary.formats.items())
        ],
        authorPolicy=plan.author_policy.value,
        authors=authors,
        distinctAuthorCount=shown.distinct,
        authorsTruncated=truncated,
        documentsWithoutAuthor=summary.documents_without_author,
        datesFromMetadata=summary.dates_from_metadata,
        datesFromFilesystem=summary.dates_from_filesystem,
        encodingFallbacks=summary.encoding_fallbacks,
        sample=[
            DocumentSample(
                uri=record.source_uri,
                sha256=record.sha256,
                format=record.format,
                sizeBytes=record.size_bytes,
                title=record.title,
            )
            for record in summary.sample
        ],
        created=_date_range(summary.created_min, summary.created_max),
        modified=_date_range(summary.modified_min, summary.modified_max),
        manifestUri=dataset_id(plan.manifest).uri,
        declaration=declaration_facet(plan.declaration),
    )


def declaration_facet(declaration: SourceDeclaration | None) -> DeclarationFacet | None:
    if declaration is None:
        return None
    return DeclarationFacet(
        kind=declaration.kind.value,
        licence=declaration.licence,
        publicName=declaration.public_name,
        optOutRespected=declaration.opt_out_respected,
    )


def _collection_schema() -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(name=name, type=kind, description=text)
            for name, kind, text in COLLECTION_FIELDS
        ]
    )


def source_dataset(
    plan: ExtractionPlan, result: ExtractionResult | None = None, shown: ShownAuthors | None = None
) -> InputDataset:
    source = dataset_id(plan.source)
    facets: dict[str, DatasetFacet] = {
        "dataSource": data_source(source),
        "schema": _collection_schema(),
        "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType="FILE", subType="DOCUMENT_COLLECTION"
        ),
    }
    input_facets: dict[str, InputDatasetFacet] = {}
    if result is not None:
        summary = result.summary
        facets[facet_key("documentCollection")] = collection_facet(
            summary, result.failure_count, plan, shown
        )
        facets["version"] = version(summary.collection_version)
        input_facets["inputStatistics"] = (
            input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=result.documents_seen,
                size=result.bytes_read,
                fileCount=result.documents_seen,
            )
        )
    return InputDataset(
        namespace=source.namespace, name=source.name, facets=facets, inputFacets=input_facets
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


def _reader_specs(formats: list[str]) -> list[StepSpec]:
    parameters: dict[str, dict[str, Any]] = {
        "pdf": {"text": "PdfTextPage.get_text_bounded", "page_separator": "\n\n"},
        "docx": {"content": "paragraphs and tables in body order", "cell_separator": "\t"},
        "html": {"removed": ["script", "style", "noscript", "template", "svg", "head"]},
        "markdown": {"front_matter": "removed, read as metadata", "markup": "kept"},
        "text": {"decoding": "utf-8, then detected encoding (recorded)"},
    }
    return [
        (
            f"extract_{name}",
            READERS[name].library,
            READERS[name].version,
            parameters[name],
            f"{name} to text",
        )
        for name in formats
    ]


def transformation_steps(
    plan: ExtractionPlan, summary: CorpusSummary
) -> LlmLineageTransformationsDatasetFacet:
    settings = plan.settings
    known_formats = list(dict.fromkeys(fmt.name for fmt in FORMATS.values()))
    used = [name for name in known_formats if summary.formats.get(name)]
    specs: list[StepSpec] = [
        (
            "select_documents",
            "llm-lineage",
            __version__,
            {
                "include": list(settings.include),
                "exclude": list(settings.exclude),
                "on_error": settings.on_error,
                "max_document_bytes": settings.max_document_bytes,
                "max_document_characters": settings.max_document_characters,
                "max_expanded_bytes": settings.max_expanded_bytes,
                "max_document_seconds": settings.max_document_seconds,
                "max_document_memory_bytes": settings.max_document_memory_bytes,
                "follow_symlinks_outside_source": settings.follow_symlinks_outside_source,
            },
            "documents chosen from the source",
        ),
        *_reader_specs(used),
        (
            "write_parquet",
            "pyarrow",
            package_version("pyarrow"),
            {"compression": "zstd", "row_group_rows": settings.row_group_rows},
            "one row per document",
        ),
    ]
    return continue_chain([], summary.collection_version, "extraction", specs)


def documents_summary(plan: ExtractionPlan, result: ExtractionResult) -> DocumentsSummary:
    """The documents in a few hundred bytes, authors already under the run's author policy."""
    summary = result.summary
    shown = _shown(plan, summary)
    created = _date_range(summary.created_min, summary.created_max)
    modified = _date_range(summary.modified_min, summary.modified_max)
    return DocumentsSummary(
        source=dataset_id(plan.source).uri,
        version=summary.collection_version,
        documents=summary.documents,
        failed=result.failure_count,
        formats=tuple(sorted(summary.formats.items())),
        author_policy=plan.author_policy.value,
        authors=shown.ranked[:MAX_FOOTER_AUTHORS],
        distinct_authors=shown.distinct,
        documents_without_author=summary.documents_without_author,
        created=(created.earliest, created.latest) if created else None,
        modified=(modified.earliest, modified.latest) if modified else None,
    )


def extraction_footer(plan: ExtractionPlan, result: ExtractionResult) -> dict[str, str]:
    """Parquet footer of the outputs: this step's chain, a summary of the documents and the
    source's declaration when one was given.

    The text's own version is the footer's content hash, which the writer adds.
    """
    return {
        **chain_footer("extraction", transformation_steps(plan, result.summary)),
        **provenance_footer(Provenance(documents=documents_summary(plan, result))),
        **(plan.declaration.as_footer() if plan.declaration else {}),
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
    text_facets.update(_text_facets(plan, result, text, shown or _shown(plan, result.summary)))
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
    shown = _shown(plan, result.summary) if result is not None else None
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
