"""Custom OpenLineage facets (attrs classes on openlineage-python's bases) and their schemas."""

from __future__ import annotations

from llm_lineage.facets.base import (
    PRODUCER,
    SCHEMA_BASE_URL,
    facet_key,
    packaged_schemas,
    schema_url,
)
from llm_lineage.facets.curation import (
    CurationLibrary,
    LanguageCount,
    LlmLineageCurationDatasetFacet,
    PiiCount,
    RuleCount,
)
from llm_lineage.facets.document_collection import (
    AuthorCount,
    DateRange,
    DocumentSample,
    FormatCount,
    LlmLineageDocumentCollectionDatasetFacet,
    SourceDeclaration,
)
from llm_lineage.facets.embedding import (
    EmbeddingModelIdentity,
    LlmLineageEmbeddingDatasetFacet,
    VectorStoreTable,
)
from llm_lineage.facets.environment import (
    Accelerator,
    LlmLineageEnvironmentRunFacet,
    SourceCodeState,
)
from llm_lineage.facets.event_bounds import LlmLineageEventBoundsRunFacet, Truncation
from llm_lineage.facets.lora_adapter import BaseModelReference, LlmLineageLoraAdapterDatasetFacet
from llm_lineage.facets.resource_usage import DeviceUsage, LlmLineageResourceUsageRunFacet
from llm_lineage.facets.tokenization import (
    LlmLineageTokenizationDatasetFacet,
    TokenizerIdentity,
    TokenStatistics,
    TransformCount,
)
from llm_lineage.facets.training import (
    Hyperparameters,
    LlmLineageTrainingRunFacet,
    LossSummary,
    RankProgress,
)
from llm_lineage.facets.transformations import (
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
)

__all__ = [
    "PRODUCER",
    "SCHEMA_BASE_URL",
    "Accelerator",
    "AuthorCount",
    "BaseModelReference",
    "CurationLibrary",
    "DateRange",
    "DeviceUsage",
    "DocumentSample",
    "EmbeddingModelIdentity",
    "FormatCount",
    "Hyperparameters",
    "LanguageCount",
    "LlmLineageCurationDatasetFacet",
    "LlmLineageDocumentCollectionDatasetFacet",
    "LlmLineageEmbeddingDatasetFacet",
    "LlmLineageEnvironmentRunFacet",
    "LlmLineageEventBoundsRunFacet",
    "LlmLineageLoraAdapterDatasetFacet",
    "LlmLineageResourceUsageRunFacet",
    "LlmLineageTokenizationDatasetFacet",
    "LlmLineageTrainingRunFacet",
    "LlmLineageTransformationsDatasetFacet",
    "LossSummary",
    "PiiCount",
    "RankProgress",
    "RuleCount",
    "SourceCodeState",
    "SourceDeclaration",
    "TokenStatistics",
    "TokenizerIdentity",
    "TransformCount",
    "TransformationStep",
    "Truncation",
    "VectorStoreTable",
    "facet_key",
    "packaged_schemas",
    "schema_url",
]
