"""The document collection an extraction read, as an input dataset and as the Parquet footer's
documents summary: counts, formats, dates, a sample, and authors under the author policy."""

from __future__ import annotations

import datetime as dt

from openlineage.client.event_v2 import InputDataset
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    dataset_type_dataset,
    input_statistics_input_dataset,
    schema_dataset,
)

from llm_lineage.extraction.model import CorpusSummary, ExtractionResult
from llm_lineage.extraction.tables import COLLECTION_FIELDS
from llm_lineage.facets import (
    DateRange,
    DocumentSample,
    FormatCount,
    LlmLineageDocumentCollectionDatasetFacet,
    facet_key,
)
from llm_lineage.facets import SourceDeclaration as DeclarationFacet
from llm_lineage.lineage.authors import ShownAuthors, shown_authors
from llm_lineage.lineage.chain import DocumentsSummary
from llm_lineage.lineage.declaration import SourceDeclaration
from llm_lineage.lineage.extraction_plan import ExtractionPlan
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import data_source, version

#: Most authors an event lists (the manifest has them all).
MAX_AUTHORS = 50
#: Authors the Parquet footer's documents summary keeps (the most frequent): it is read by every
#: later step and shown on the adapter's model card, so it stays a few hundred bytes.
MAX_FOOTER_AUTHORS = 20


def _date_range(low: dt.datetime | None, high: dt.datetime | None) -> DateRange | None:
    if low is None or high is None:
        return None
    return DateRange(earliest=low.isoformat(), latest=high.isoformat())


def shown_for(plan: ExtractionPlan, summary: CorpusSummary) -> ShownAuthors:
    return shown_authors(summary.authors, plan.author_policy, plan.author_salt)


def collection_facet(
    summary: CorpusSummary, failed: int, plan: ExtractionPlan, shown: ShownAuthors | None = None
) -> LlmLineageDocumentCollectionDatasetFacet:
    """The documents read: counts, formats, dates, a sample, and authors under the policy."""
    shown = shown or shown_for(plan, summary)
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


def documents_summary(plan: ExtractionPlan, result: ExtractionResult) -> DocumentsSummary:
    """The documents in a few hundred bytes, authors already under the run's author policy."""
    summary = result.summary
    shown = shown_for(plan, summary)
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
