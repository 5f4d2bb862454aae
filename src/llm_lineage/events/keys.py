"""Every facet this provider's events carry, and every field a reader takes from them.

A ``Facet`` names one facet by its key in the event (``llmLineage_training``, ``version``), the
side of a dataset it sits on (``facets``, ``inputFacets``, ``outputFacets``) and the class that
writes it, by dotted path; ``Facet.field`` declares a path inside it. Readers take facets and
fields only through these: ``tests/test_events_keys.py`` imports every reader, then checks each
facet key against its class (``facet_key``, the OpenLineage standard names) and walks each
declared field path through the attrs classes, so a renamed field fails there, not in a page.

No facet class is imported here (openlineage-python's take a second to load); the classes are
named as text and resolved only by that test.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from llm_lineage.events.values import finite, integer, mapping, records, string

#: The prefix of this provider's custom facets (``facets/base.py``: ``facet_key``).
PREFIX = "llmLineage_"
_OURS = "llm_lineage.facets"
_OL = "openlineage.client.generated"

_DECLARED: list[Field] = []


@dataclass(frozen=True)
class Facet:
    """One facet: its key in the event, the side it sits on, the class that writes it."""

    key: str
    cls: str
    side: str = "facets"

    @property
    def custom(self) -> bool:
        return self.key.startswith(PREFIX)

    @property
    def name(self) -> str:
        """The key without our prefix (``training``); standard facets keep their key."""
        return self.key[len(PREFIX) :] if self.custom else self.key

    def of(self, facets: Any) -> dict[str, Any]:
        """This facet in a facets dict, or an empty dict when missing or not an object."""
        return mapping(mapping(facets).get(self.key))

    def on(self, entity: Any) -> dict[str, Any]:
        """This facet of a dataset, run or job (read from the side it sits on)."""
        return self.of(mapping(entity).get(self.side))

    def field(self, *path: str) -> Field:
        """A declared path inside this facet (checked against the class by the tests)."""
        declared = Field(self, path)
        _DECLARED.append(declared)
        return declared

    def fields(self, *names: str) -> tuple[str, ...]:
        """Top-level field names of this facet, each declared (and so checked) as a field."""
        return tuple(self.field(name).leaf for name in names)


@dataclass(frozen=True)
class Field:
    """A path inside a facet. Reads take the facets dict that holds the facet."""

    facet: Facet
    path: tuple[str, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The facet key then the path: what a reader walks from a facets dict."""
        return (self.facet.key, *self.path)

    @property
    def leaf(self) -> str:
        """The last key: a field of each object in a list (``formats`` → ``format``)."""
        return self.path[-1]

    def value(self, facets: Any) -> Any:
        found: Any = facets
        for key in self.keys:
            if not isinstance(found, dict):
                return None
            found = found.get(key)
        return found

    def text(self, facets: Any) -> str | None:
        return string(self.value(facets))

    def number(self, facets: Any) -> float | None:
        return finite(self.value(facets))

    def integer(self, facets: Any) -> int | None:
        return integer(self.value(facets))

    def mapping(self, facets: Any) -> dict[str, Any]:
        return mapping(self.value(facets))

    def records(self, facets: Any) -> list[dict[str, Any]]:
        return records(self.value(facets))


def declared() -> tuple[Field, ...]:
    """Every field declared so far (by this module and the readers imported)."""
    return tuple(_DECLARED)


def _ours(module: str, cls: str) -> str:
    return f"{_OURS}.{module}.{cls}"


COLLECTION = Facet(
    PREFIX + "documentCollection",
    _ours("document_collection", "LlmLineageDocumentCollectionDatasetFacet"),
)
TRANSFORMATIONS = Facet(
    PREFIX + "transformations",
    _ours("transformations", "LlmLineageTransformationsDatasetFacet"),
)
CURATION = Facet(PREFIX + "curation", _ours("curation", "LlmLineageCurationDatasetFacet"))
TOKENIZATION = Facet(
    PREFIX + "tokenization", _ours("tokenization", "LlmLineageTokenizationDatasetFacet")
)
EMBEDDING = Facet(PREFIX + "embedding", _ours("embedding", "LlmLineageEmbeddingDatasetFacet"))
ADAPTER = Facet(PREFIX + "loraAdapter", _ours("lora_adapter", "LlmLineageLoraAdapterDatasetFacet"))
TRAINING = Facet(PREFIX + "training", _ours("training", "LlmLineageTrainingRunFacet"))
RESOURCES = Facet(
    PREFIX + "resourceUsage", _ours("resource_usage", "LlmLineageResourceUsageRunFacet")
)
BOUNDS = Facet(PREFIX + "eventBounds", _ours("event_bounds", "LlmLineageEventBoundsRunFacet"))
ENVIRONMENT = Facet(PREFIX + "environment", _ours("environment", "LlmLineageEnvironmentRunFacet"))
#: Our custom facets, every one (a test checks none is missing).
CUSTOM = (
    COLLECTION,
    TRANSFORMATIONS,
    CURATION,
    TOKENIZATION,
    EMBEDDING,
    ADAPTER,
    TRAINING,
    RESOURCES,
    BOUNDS,
    ENVIRONMENT,
)

VERSION = Facet("version", f"{_OL}.dataset_version_dataset.DatasetVersionDatasetFacet")
DATASET_TYPE = Facet("datasetType", f"{_OL}.dataset_type_dataset.DatasetTypeDatasetFacet")
DOCUMENTATION = Facet("documentation", f"{_OL}.documentation_dataset.DocumentationDatasetFacet")
TAGS = Facet("tags", f"{_OL}.tags_dataset.TagsDatasetFacet")
OUTPUT_STATISTICS = Facet(
    "outputStatistics",
    f"{_OL}.output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet",
    "outputFacets",
)
INPUT_STATISTICS = Facet(
    "inputStatistics",
    f"{_OL}.input_statistics_input_dataset.InputStatisticsInputDatasetFacet",
    "inputFacets",
)
EXTRACTION_ERROR = Facet("extractionError", f"{_OL}.extraction_error_run.ExtractionErrorRunFacet")
ERROR_MESSAGE = Facet("errorMessage", f"{_OL}.error_message_run.ErrorMessageRunFacet")
SOURCE_CODE = Facet(
    "sourceCodeLocation", f"{_OL}.source_code_location_job.SourceCodeLocationJobFacet"
)

DATASET_VERSION = VERSION.field("datasetVersion")
TYPE = DATASET_TYPE.field("datasetType")
SUB_TYPE = DATASET_TYPE.field("subType")
SCHEMA = Facet("schema", f"{_OL}.schema_dataset.SchemaDatasetFacet")
COLUMN_LINEAGE = Facet("columnLineage", f"{_OL}.column_lineage_dataset.ColumnLineageDatasetFacet")
JOB_TYPE = Facet("jobType", f"{_OL}.job_type_job.JobTypeJobFacet")
JOB_OWNERSHIP = Facet("ownership", f"{_OL}.ownership_job.OwnershipJobFacet")
JOB_TAGS = Facet("tags", f"{_OL}.tags_job.TagsJobFacet")
PARENT = Facet("parent", f"{_OL}.parent_run.ParentRunFacet")
#: The OpenLineage provider's run facets of a task and of a DAG run.
AIRFLOW = Facet("airflow", "airflow.providers.openlineage.plugins.facets.AirflowRunFacet")
AIRFLOW_DAG_RUN = Facet(
    "airflowDagRun", "airflow.providers.openlineage.plugins.facets.AirflowDagRunFacet"
)
