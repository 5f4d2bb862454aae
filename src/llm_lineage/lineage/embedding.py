"""Embedding results to OpenLineage datasets and facets.

Inputs: the text, named exactly as the extraction (or curation) step named it, at the version its
footer holds, and the embedding model as a MODEL dataset whose version is the fingerprint of its
files. Outputs: ``embeddings.parquet`` (its version names the chunk layout, the model and the
settings, see ``embedding/writer.py``) and, when asked for, the LanceDB table holding the same
vectors, whose dataset version is the Lance table version. The chain of the text continues, and
the documents summary in its footer is carried forward, so a chunk reaches its documents.
"""

from __future__ import annotations

from dataclasses import dataclass

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import DatasetFacet, JobFacet, documentation_dataset

from llm_lineage.common.versions import package_version
from llm_lineage.embedding import (
    EmbeddingResult,
    EmbeddingSettings,
    LoadedModel,
    ModelFiles,
    output_schema,
    version_tag,
)
from llm_lineage.facets import (
    EmbeddingModelIdentity,
    LlmLineageEmbeddingDatasetFacet,
    LlmLineageResourceUsageRunFacet,
    LlmLineageTransformationsDatasetFacet,
    VectorStoreTable,
    facet_key,
)
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.chain import DatasetRef, Provenance, chain_footer, provenance_footer
from llm_lineage.lineage.naming import dataset_id, lance_table_uri
from llm_lineage.lineage.standard_facets import (
    FieldMapping,
    SourceInfo,
    StepLineage,
    data_source,
    field_lineage,
    file_facets,
    lifecycle,
    output_statistics,
    parquet_input,
    tags,
    task_job_facets,
    version,
)
from llm_lineage.lineage.transformation_chain import StepSpec, continue_chain


@dataclass(frozen=True)
class EmbeddingPlan:
    """Where a run reads and writes, and with what; known before it starts."""

    source: str
    output: str
    model: str
    model_location: str
    settings: EmbeddingSettings
    revision: str | None = None
    vector_store: str | None = None
    """The LanceDB database URI, or None for the Parquet only."""
    vector_table: str = "embeddings"
    cost_per_hour: float | None = None
    currency: str = "USD"
    replaced: bool = False

    @property
    def table_uri(self) -> str | None:
        """The LanceDB table's location, as lineage names it."""
        return lance_table_uri(self.vector_store, self.vector_table) if self.vector_store else None


@dataclass(frozen=True)
class Embedded:
    """What a finished (or failed) run knows beside its plan; any part may be missing."""

    model: LoadedModel | None = None
    info: SourceInfo | None = None
    result: EmbeddingResult | None = None


CHUNK_LINEAGE: FieldMapping = {
    "doc_id": ("doc_id", "IDENTITY", "document id"),
    "chunk_index": ("text", "TRANSFORMATION", "position of the token window in the document"),
    "start_char": ("text", "TRANSFORMATION", "offset of the window's first character"),
    "end_char": ("text", "TRANSFORMATION", "offset after the window's last character"),
    "token_count": ("text", "AGGREGATION", "tokens in the window"),
    "embedding": ("text", "TRANSFORMATION", "the window's text encoded by the model"),
}
TEXT_LINEAGE: FieldMapping = {"text": ("text", "IDENTITY", "text[start_char:end_char]")}


def model_dataset(plan: EmbeddingPlan, files: ModelFiles | None) -> InputDataset:
    target = dataset_id(plan.model_location)
    facets = file_facets(target, "safetensors", "MODEL", "EMBEDDING_MODEL")
    facets["dataSource"] = data_source(target)
    if files is not None:
        facets["version"] = version(files.fingerprint)
        facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=(
                f"Embedding model {files.source}"
                f"{' at revision ' + files.revision if files.revision else ''}: {files.files} "
                f"files, {files.size_bytes} bytes, fingerprint {files.fingerprint[:12]}."
            ),
            contentType="text/plain",
        )
        facets["tags"] = tags(fingerprint=files.fingerprint)
    return InputDataset(namespace=target.namespace, name=target.name, facets=facets)


def model_identity(model: LoadedModel) -> EmbeddingModelIdentity:
    return EmbeddingModelIdentity(
        name=model.files.source,
        revision=model.files.revision,
        fingerprint=model.files.fingerprint,
        dimension=model.dimension,
        similarity=model.similarity,
        maxSeqLength=model.max_seq_length,
        modelType=model.model_type,
        library="sentence-transformers",
        libraryVersion=model.library_version,
    )


def embedding_facet(
    plan: EmbeddingPlan, model: LoadedModel, result: EmbeddingResult
) -> LlmLineageEmbeddingDatasetFacet:
    settings = plan.settings
    store = None
    if plan.vector_store and result.vector_store_version is not None and result.output:
        store = VectorStoreTable(
            kind="lancedb",
            uri=dataset_id(plan.vector_store).uri,
            table=plan.vector_table,
            tableVersion=result.vector_store_version,
            tag=version_tag(result.output.content_hash),
        )
    return LlmLineageEmbeddingDatasetFacet(
        model=model_identity(model),
        normalized=settings.normalize,
        chunkTokens=settings.chunk_tokens,
        overlapTokens=settings.overlap_tokens,
        includesText=settings.include_text,
        documentsIn=result.documents_in,
        documentsEmbedded=result.documents_embedded,
        chunks=result.chunks,
        tokens=result.tokens,
        truncatedChunks=result.truncated_chunks,
        vectorStore=store,
    )


def transformation_chain(
    plan: EmbeddingPlan, model: LoadedModel, info: SourceInfo | None
) -> LlmLineageTransformationsDatasetFacet:
    """The text's chain, then chunking, encoding and writing."""
    ours = package_version("airflow-provider-llm-lineage")
    settings = plan.settings
    specs: list[StepSpec] = [
        (
            "chunk",
            "llm-lineage",
            ours,
            {
                "chunk_tokens": settings.chunk_tokens,
                "overlap_tokens": settings.overlap_tokens,
                "tokenizer": "the embedding model's",
                "model_fingerprint": model.files.fingerprint,
            },
            "token windows with character offsets",
        ),
        (
            "encode",
            "sentence-transformers",
            model.library_version,
            {
                "model": model.files.source,
                "revision": model.files.revision,
                "model_fingerprint": model.files.fingerprint,
                "normalize": settings.normalize,
                "max_seq_length": model.max_seq_length,
            },
            "SentenceTransformer.encode",
        ),
        ("write_parquet", "pyarrow", package_version("pyarrow"), {"compression": "zstd"}, None),
    ]
    seed = (info.content_hash if info else None) or dataset_id(plan.source).uri
    return continue_chain(list(info.chain) if info else [], seed, "embedding", specs)


def embedding_footer(
    plan: EmbeddingPlan, model: LoadedModel, info: SourceInfo | None
) -> dict[str, str]:
    """This step's chain, and the documents summary copied forward from the text's footer."""
    provenance = Provenance(
        documents=info.provenance.documents if info and info.provenance else None,
        text=DatasetRef(dataset_id(plan.source).uri, info.content_hash if info else None),
    )
    return {
        **chain_footer("embedding", transformation_chain(plan, model, info)),
        **provenance_footer(provenance),
    }


def _description(plan: EmbeddingPlan, model: LoadedModel, result: EmbeddingResult) -> str:
    return (
        f"{result.chunks} chunks ({result.tokens} tokens, {plan.settings.chunk_tokens}-token "
        f"windows, overlap {plan.settings.overlap_tokens}) of {result.documents_embedded} of "
        f"{result.documents_in} documents of {dataset_id(plan.source).uri}, embedded with "
        f"{model.files.source} ({model.dimension} dimensions, {model.similarity}"
        f"{', normalized' if plan.settings.normalize else ''}, fingerprint "
        f"{model.files.fingerprint[:12]})."
    )


def output_dataset(plan: EmbeddingPlan, done: Embedded) -> OutputDataset:
    target, source = dataset_id(plan.output), dataset_id(plan.source)
    model, result = done.model, done.result
    dimension = model.dimension if model else None
    facets: dict[str, DatasetFacet] = {
        "schema": schema_facet(output_schema(dimension, plan.settings.include_text)),
        **file_facets(target),
    }
    if result is None or result.output is None or model is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    mapping = {**CHUNK_LINEAGE, **(TEXT_LINEAGE if plan.settings.include_text else {})}
    facets.update(
        {
            "version": version(result.output.content_hash),
            "columnLineage": field_lineage(source, mapping),
            facet_key("transformations"): transformation_chain(plan, model, done.info),
            facet_key("embedding"): embedding_facet(plan, model, result),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=_description(plan, model, result), contentType="text/plain"
            ),
            "tags": tags(
                step="embedding",
                chunks=str(result.chunks),
                model=model.files.source,
                model_fingerprint=model.files.fingerprint,
            ),
            "lifecycleStateChange": lifecycle(plan.replaced),
        }
    )
    return OutputDataset(
        namespace=target.namespace,
        name=target.name,
        facets=facets,
        outputFacets=output_statistics(result.output.rows, result.output.size_bytes),
    )


def table_dataset(plan: EmbeddingPlan, done: Embedded) -> OutputDataset:
    """The LanceDB table: a TABLE whose version is the Lance table version this run left."""
    assert plan.table_uri is not None
    target = dataset_id(plan.table_uri)
    facets = file_facets(target, "lance", "TABLE", "VECTOR_INDEX")
    model, result = done.model, done.result
    if result is None or result.output is None or model is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    if result.vector_store_version is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    embeddings = dataset_id(plan.output)
    identity = {name: (name, "IDENTITY", "copied from the Parquet") for name in CHUNK_LINEAGE}
    facets.update(
        {
            "schema": schema_facet(output_schema(model.dimension, plan.settings.include_text)),
            "version": version(str(result.vector_store_version)),
            "columnLineage": field_lineage(embeddings, identity),
            facet_key("transformations"): transformation_chain(plan, model, done.info),
            facet_key("embedding"): embedding_facet(plan, model, result),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=f"LanceDB table {plan.vector_table}: "
                + _description(plan, model, result),
                contentType="text/plain",
            ),
            "tags": tags(
                step="embedding",
                embeddings_version=result.output.content_hash,
                lance_tag=version_tag(result.output.content_hash),
            ),
        }
    )
    return OutputDataset(
        namespace=target.namespace,
        name=target.name,
        facets=facets,
        outputFacets=output_statistics(result.output.rows, result.output.size_bytes),
    )


def resource_facet(
    plan: EmbeddingPlan, model: LoadedModel | None, result: EmbeddingResult
) -> LlmLineageResourceUsageRunFacet:
    """Time, memory and chunks, on which device; with ``cost_per_hour``, the estimated price."""
    compute = result.wall_seconds
    cost = None
    if plan.cost_per_hour is not None:
        cost = round(compute / 3600 * plan.cost_per_hour, 6)
    device = model.device.split(":", 1)[0] if model else None
    return LlmLineageResourceUsageRunFacet(
        wallSeconds=round(result.wall_seconds, 3),
        cpuSeconds=round(result.cpu_seconds, 3),
        peakMemoryBytes=result.peak_memory_bytes,
        bytesWritten=result.output.size_bytes if result.output else None,
        itemsProcessed=result.chunks,
        itemUnit="chunks",
        itemsPerSecond=round(result.chunks_per_second, 3),
        deviceKind=device,
        deviceName=model.device if model else None,
        deviceCount=1 if model else None,
        computeSeconds=round(compute, 3),
        costPerHour=plan.cost_per_hour,
        estimatedCost=cost,
        currency=plan.currency if plan.cost_per_hour is not None else None,
    )


def job_facets(plan: EmbeddingPlan) -> dict[str, JobFacet]:
    settings = plan.settings
    store = f" and LanceDB table {dataset_id(plan.table_uri).uri}" if plan.table_uri else ""
    return task_job_facets(
        f"Embed {dataset_id(plan.source).uri} with {plan.model} in windows of "
        f"{settings.chunk_tokens} tokens (overlap {settings.overlap_tokens}) into "
        f"{dataset_id(plan.output).uri}{store}."
    )


def embedding_lineage(
    plan: EmbeddingPlan, done: Embedded | None = None, failed: bool = False
) -> StepLineage:
    """Lineage at start (only ``plan``), completion, or ``failed`` (what the run learned).

    A failed run lists no outputs: it published none.
    """
    done = done or Embedded()
    result = done.result
    inputs = [
        parquet_input(plan.source, done.info, result.documents_in if result else None),
        model_dataset(plan, done.model.files if done.model else None),
    ]
    outputs = [] if failed else [output_dataset(plan, done)]
    if plan.table_uri and not failed:
        outputs.append(table_dataset(plan, done))
    lineage = StepLineage(inputs=inputs, outputs=outputs, job_facets=job_facets(plan))
    if result is not None:
        lineage.run_facets[facet_key("resourceUsage")] = resource_facet(plan, done.model, result)
    return lineage
