"""OpenLineage's standard facets, built the same way for every step, and the types builders share.

The builders here make the facets of the OpenLineage spec (not ours: those are in ``facets/``)
that every step attaches alike: a task's job facets, a stored file's storage and type, a data
source, a version, a lifecycle change, output statistics, tags, column lineage, and a Parquet
input as the step that wrote it named it. Beside them are the two types that every step's
builder uses: ``StepLineage``, what a builder returns, and ``SourceInfo``, what an input
Parquet's footer said. Dataset names are ``lineage/naming.py``; schema facets from pyarrow
schemas are ``lineage/arrow.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    column_lineage_dataset,
    dataset_type_dataset,
    dataset_version_dataset,
    datasource_dataset,
    documentation_job,
    input_statistics_input_dataset,
    job_type_job,
    lifecycle_state_change_dataset,
    output_statistics_output_dataset,
    storage_dataset,
    tags_dataset,
)

from llm_lineage.facets.transformations import TransformationStep
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.chain import Provenance
from llm_lineage.lineage.naming import DatasetId, dataset_id

#: ``output field -> (input field, transformation subtype, description)``
FieldMapping = dict[str, tuple[str, str, str]]


@dataclass
class StepLineage:
    """Inputs, outputs and facets of one step; operators wrap it in ``OperatorLineage``."""

    inputs: list[InputDataset] = field(default_factory=list)
    outputs: list[OutputDataset] = field(default_factory=list)
    run_facets: dict[str, RunFacet] = field(default_factory=dict)
    job_facets: dict[str, JobFacet] = field(default_factory=dict)


@dataclass(frozen=True)
class SourceInfo:
    """What an input Parquet's footer and metadata say, read before the step starts."""

    schema: pa.Schema | None = None
    rows: int | None = None
    size_bytes: int | None = None
    content_hash: str | None = None
    written_by: str | None = None
    chain: list[TransformationStep] = field(default_factory=list)
    provenance: Provenance | None = None
    """Documents, text and tokenizer behind the file, when the steps that wrote it said."""


def task_job_facets(description: str) -> dict[str, JobFacet]:
    """Job facets of every step: what it does in words, and that it is an Airflow batch task."""
    return {
        "documentation": documentation_job.DocumentationJobFacet(description=description),
        "jobType": job_type_job.JobTypeJobFacet(
            processingType="BATCH", integration="AIRFLOW", jobType="TASK"
        ),
    }


def field_lineage(
    source: DatasetId, mapping: FieldMapping
) -> column_lineage_dataset.ColumnLineageDatasetFacet:
    """Column lineage where each output field comes DIRECTly from one field of ``source``."""
    fields = {}
    for output_field, (input_field, subtype, description) in mapping.items():
        fields[output_field] = column_lineage_dataset.Fields(
            inputFields=[
                column_lineage_dataset.InputField(
                    namespace=source.namespace,
                    name=source.name,
                    field=input_field,
                    transformations=[
                        column_lineage_dataset.Transformation(
                            type="DIRECT", subtype=subtype, description=description, masking=False
                        )
                    ],
                )
            ]
        )
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def file_facets(
    target: DatasetId,
    file_format: str = "parquet",
    dataset_type: str = "FILE",
    sub_type: str | None = None,
) -> dict[str, DatasetFacet]:
    """Static facets of a stored dataset (a file, or a model folder): known at START."""
    return {
        "storage": storage_dataset.StorageDatasetFacet(
            storageLayer="file" if target.namespace == "file" else target.namespace.split(":")[0],
            fileFormat=file_format,
        ),
        "datasetType": dataset_type_dataset.DatasetTypeDatasetFacet(
            datasetType=dataset_type, subType=sub_type
        ),
    }


def data_source(target: DatasetId) -> datasource_dataset.DatasourceDatasetFacet:
    return datasource_dataset.DatasourceDatasetFacet(name=target.namespace, uri=target.uri)


def version(content_hash: str) -> dataset_version_dataset.DatasetVersionDatasetFacet:
    return dataset_version_dataset.DatasetVersionDatasetFacet(datasetVersion=content_hash)


def lifecycle(replaced: bool) -> lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet:
    state = lifecycle_state_change_dataset.LifecycleStateChange
    return lifecycle_state_change_dataset.LifecycleStateChangeDatasetFacet(
        lifecycleStateChange=state.OVERWRITE if replaced else state.CREATE
    )


def output_statistics(rows: int, size: int) -> dict[str, OutputDatasetFacet]:
    return {
        "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
            rowCount=rows, size=size, fileCount=1
        )
    }


def tags(**values: str) -> tags_dataset.TagsDatasetFacet:
    """Tags ``llm_lineage.<key>``: the key facts again, for catalogs that drop custom facets."""
    return tags_dataset.TagsDatasetFacet(
        tags=[
            tags_dataset.TagsDatasetFacetFields(
                key=f"llm_lineage.{key}", value=value, source="llm-lineage"
            )
            for key, value in values.items()
        ]
    )


def parquet_input(location: str, info: SourceInfo | None, rows_read: int | None) -> InputDataset:
    """A Parquet input as the step that wrote it named it, with the version its footer holds."""
    source = dataset_id(location)
    facets: dict[str, DatasetFacet] = {"dataSource": data_source(source), **file_facets(source)}
    input_facets: dict[str, InputDatasetFacet] = {}
    if info is not None:
        if info.schema is not None:
            facets["schema"] = schema_facet(info.schema)
        if info.content_hash:
            facets["version"] = version(info.content_hash)
    if rows_read is not None:
        input_facets["inputStatistics"] = (
            input_statistics_input_dataset.InputStatisticsInputDatasetFacet(
                rowCount=rows_read, size=info.size_bytes if info else None, fileCount=1
            )
        )
    return InputDataset(
        namespace=source.namespace, name=source.name, facets=facets, inputFacets=input_facets
    )
