"""Tokenization results to OpenLineage datasets and facets.

The input is named exactly as the extraction step named its text output (same naming rules
on the same URI), its version read from the Parquet footer that step wrote; the output continues
the transformation chain that footer carries.
"""

from __future__ import annotations

from dataclasses import dataclass

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import DatasetFacet, JobFacet, documentation_dataset

from llm_lineage.common.versions import package_version
from llm_lineage.facets import (
    LlmLineageResourceUsageRunFacet,
    LlmLineageTokenizationDatasetFacet,
    LlmLineageTransformationsDatasetFacet,
    TokenizerIdentity,
    TokenStatistics,
    TransformCount,
    facet_key,
)
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.chain import (
    DatasetRef,
    Provenance,
    TokenizerRef,
    chain_footer,
    provenance_footer,
)
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import (
    FieldMapping,
    SourceInfo,
    StepLineage,
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
from llm_lineage.tokenization import (
    LoadedTokenizer,
    TokenizationResult,
    TokenizationSettings,
    output_schema,
)


@dataclass(frozen=True)
class TokenizationPlan:
    """Where a run reads and writes, and with what; known before it starts."""

    source: str
    output: str
    tokenizer: str
    settings: TokenizationSettings
    revision: str | None = None
    replaced: bool = False


CHUNK_LINEAGE: FieldMapping = {
    "doc_id": ("doc_id", "IDENTITY", "document id"),
    "chunk_index": ("text", "TRANSFORMATION", "position of the window in the document"),
    "input_ids": ("text", "TRANSFORMATION", "transforms, then tokenizer encode, then windows"),
    "num_tokens": ("text", "AGGREGATION", "tokens in the window"),
}
PACKED_LINEAGE: FieldMapping = {
    "block_index": ("text", "TRANSFORMATION", "position of the block in the token stream"),
    "input_ids": ("text", "TRANSFORMATION", "transforms, then tokenizer encode, then packing"),
    "num_tokens": ("text", "AGGREGATION", "tokens in the block"),
    "doc_ids": ("doc_id", "AGGREGATION", "documents contributing to the block"),
}


def source_dataset(
    plan: TokenizationPlan, info: SourceInfo | None, result: TokenizationResult | None
) -> InputDataset:
    return parquet_input(plan.source, info, result.documents_in if result else None)


def tokenizer_identity(tokenizer: LoadedTokenizer) -> TokenizerIdentity:
    return TokenizerIdentity(
        name=tokenizer.source,
        revision=tokenizer.revision,
        sha256=tokenizer.sha256,
        modelType=tokenizer.model_type,
        vocabSize=tokenizer.vocab_size,
        specialTokens=list(tokenizer.special_tokens),
        normalizer=tokenizer.normalizer,
        preTokenizer=tokenizer.pre_tokenizer,
        library="tokenizers",
        libraryVersion=tokenizer.library_version,
        modelMaxLength=tokenizer.model_max_length,
    )


def tokenization_facet(
    settings: TokenizationSettings, tokenizer: LoadedTokenizer, result: TokenizationResult
) -> LlmLineageTokenizationDatasetFacet:
    per_document = None
    if result.tokens_per_document_min is not None and result.tokens_per_document_max is not None:
        per_document = TokenStatistics(
            min=result.tokens_per_document_min,
            mean=round(result.tokens_per_document_mean or 0.0, 3),
            max=result.tokens_per_document_max,
        )
    return LlmLineageTokenizationDatasetFacet(
        tokenizer=tokenizer_identity(tokenizer),
        packing=settings.packing,
        addEos=settings.add_eos,
        stride=settings.stride,
        maxLength=None if settings.packing else settings.max_length,
        blockSize=settings.block_size if settings.packing else None,
        documentsIn=result.documents_in,
        documentsOut=result.documents_out,
        sequences=result.sequences,
        tokens=result.tokens,
        tokensPerDocument=per_document,
        transforms=[
            TransformCount(
                name=s.name, parameters=dict(s.params), changed=s.changed, dropped=s.dropped
            )
            for s in result.transform_stats
        ],
        tokensDroppedInLastBlock=result.tokens_dropped_in_last_block,
    )


def transformation_chain(
    plan: TokenizationPlan, tokenizer: LoadedTokenizer, info: SourceInfo | None
) -> LlmLineageTransformationsDatasetFacet:
    """The inherited chain, then each text transform, encoding, sequencing and writing."""
    settings = plan.settings
    ours = "llm-lineage"
    specs: list[StepSpec] = [
        (spec.name, ours, package_version("airflow-provider-llm-lineage"), dict(spec.params), None)
        for spec in settings.transforms
    ]
    specs.append(
        (
            "encode",
            "tokenizers",
            tokenizer.library_version,
            {
                "tokenizer": tokenizer.source,
                "revision": tokenizer.revision,
                "tokenizer_sha256": tokenizer.sha256,
                "add_special_tokens": False,
                "add_eos": settings.add_eos,
            },
            "Tokenizer.encode_batch",
        )
    )
    if settings.packing:
        specs.append(
            (
                "pack",
                ours,
                package_version("airflow-provider-llm-lineage"),
                {"block_size": settings.block_size},
                None,
            )
        )
    else:
        specs.append(
            (
                "chunk",
                ours,
                package_version("airflow-provider-llm-lineage"),
                {"max_length": settings.max_length, "stride": settings.stride},
                None,
            )
        )
    specs.append(
        ("write_parquet", "pyarrow", package_version("pyarrow"), {"compression": "zstd"}, None)
    )
    seed = (info.content_hash if info else None) or dataset_id(plan.source).uri
    return continue_chain(list(info.chain) if info else [], seed, "tokenization", specs)


def tokenization_footer(
    plan: TokenizationPlan, tokenizer: LoadedTokenizer, info: SourceInfo | None
) -> dict[str, str]:
    """This step's chain, and the provenance the next step needs without reading the text.

    The documents summary (and, for curated text, what curation did) is copied forward from the
    text's footer; the text dataset (URI and version) and the tokenizer's identity are added, so
    the tokens name everything behind them.
    """
    provenance = Provenance(
        documents=info.provenance.documents if info and info.provenance else None,
        text=DatasetRef(dataset_id(plan.source).uri, info.content_hash if info else None),
        tokenizer=TokenizerRef(tokenizer.source, tokenizer.revision, tokenizer.sha256),
        curation=info.provenance.curation if info and info.provenance else None,
    )
    return {
        **chain_footer("tokenization", transformation_chain(plan, tokenizer, info)),
        **provenance_footer(provenance),
    }


def output_dataset(
    plan: TokenizationPlan,
    tokenizer: LoadedTokenizer | None,
    info: SourceInfo | None,
    result: TokenizationResult | None,
) -> OutputDataset:
    target, source = dataset_id(plan.output), dataset_id(plan.source)
    facets: dict[str, DatasetFacet] = {
        "schema": schema_facet(output_schema(plan.settings.packing)),
        **file_facets(target),
    }
    if result is None or result.output is None or tokenizer is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    facets.update(
        {
            "version": version(result.output.content_hash),
            "columnLineage": field_lineage(
                source, PACKED_LINEAGE if plan.settings.packing else CHUNK_LINEAGE
            ),
            facet_key("transformations"): transformation_chain(plan, tokenizer, info),
            facet_key("tokenization"): tokenization_facet(plan.settings, tokenizer, result),
            "documentation": documentation_dataset.DocumentationDatasetFacet(
                description=(
                    f"{result.tokens} tokens in {result.sequences} sequences from "
                    f"{result.documents_out} of {result.documents_in} documents of {source.uri}, "
                    f"tokenized with {tokenizer.source} ({tokenizer.model_type}, "
                    f"vocabulary {tokenizer.vocab_size}, sha256 {tokenizer.sha256[:12]})."
                ),
                contentType="text/plain",
            ),
            "tags": tags(
                step="tokenization",
                tokens=str(result.tokens),
                tokenizer=tokenizer.source,
                tokenizer_sha256=tokenizer.sha256,
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


def resource_facet(result: TokenizationResult) -> LlmLineageResourceUsageRunFacet:
    return LlmLineageResourceUsageRunFacet(
        wallSeconds=round(result.wall_seconds, 3),
        cpuSeconds=round(result.cpu_seconds, 3),
        peakMemoryBytes=result.peak_memory_bytes,
        bytesWritten=result.output.size_bytes if result.output else None,
        itemsProcessed=result.tokens,
        itemUnit="tokens",
        itemsPerSecond=round(result.tokens_per_second, 3),
    )


def job_facets(plan: TokenizationPlan) -> dict[str, JobFacet]:
    mode = (
        f"packed into blocks of {plan.settings.block_size}"
        if plan.settings.packing
        else f"chunks of {plan.settings.max_length} (stride {plan.settings.stride})"
    )
    return task_job_facets(
        f"Tokenize {dataset_id(plan.source).uri} with {plan.tokenizer} into "
        f"{dataset_id(plan.output).uri}, {mode}."
    )


def tokenization_lineage(
    plan: TokenizationPlan,
    tokenizer: LoadedTokenizer | None = None,
    info: SourceInfo | None = None,
    result: TokenizationResult | None = None,
    failed: bool = False,
) -> StepLineage:
    """Lineage at start (only ``plan``), completion, or ``failed`` (what the run learned).

    A failed run lists no outputs: it wrote none.
    """
    lineage = StepLineage(
        inputs=[source_dataset(plan, info, result)],
        outputs=[] if failed else [output_dataset(plan, tokenizer, info, result)],
        job_facets=job_facets(plan),
    )
    if result is not None:
        lineage.run_facets[facet_key("resourceUsage")] = resource_facet(result)
    return lineage
