"""Curation results to OpenLineage datasets and facets.

The input is the extraction's text, named as that step named it; the outputs are the curated
text (the same layout, so the next step reads it as extraction output) and the decisions. The
curated text continues the transformation chain of the input's footer with one step per rule
that ran, so the tokens' chain lists the curation between extraction and encoding.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openlineage.client.event_v2 import InputDataset, OutputDataset
from openlineage.client.facet_v2 import (
    DatasetFacet,
    JobFacet,
    column_lineage_dataset,
    documentation_dataset,
)

from llm_lineage import __version__
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.common.versions import package_version
from llm_lineage.curation import (
    DECISIONS_SCHEMA,
    CurationResult,
    CurationSettings,
    describe_reasons,
)
from llm_lineage.extraction.tables import TEXT_SCHEMA
from llm_lineage.facets import (
    CurationLibrary,
    LanguageCount,
    LlmLineageCurationDatasetFacet,
    LlmLineageResourceUsageRunFacet,
    LlmLineageTransformationsDatasetFacet,
    PiiCount,
    RuleCount,
    facet_key,
)
from llm_lineage.lineage.arrow import schema_facet
from llm_lineage.lineage.chain import (
    STEP_KEY,
    CurationSummary,
    DatasetRef,
    Provenance,
    chain_footer,
    provenance_footer,
)
from llm_lineage.lineage.naming import DatasetId, dataset_id
from llm_lineage.lineage.standard_facets import (
    SourceInfo,
    StepLineage,
    file_facets,
    lifecycle,
    output_statistics,
    parquet_input,
    tags,
    task_job_facets,
    version,
)
from llm_lineage.lineage.transformation_chain import StepSpec, continue_chain

#: Languages listed in the facet, most frequent first.
MAX_LANGUAGES = 20


@dataclass(frozen=True)
class CurationPlan:
    """Where a run reads and writes, and with what; known before it starts."""

    source: str
    output: str
    """The curated text.parquet."""
    decisions: str
    settings: CurationSettings
    replaced: frozenset[str] = frozenset()
    """Those of ``output`` and ``decisions`` that a previous run had written."""


def _rule_specs(settings: CurationSettings) -> list[StepSpec]:
    """One step per rule that runs, in the order the engine applies them."""
    ours = ("llm-lineage", __version__)
    thresholds = settings.thresholds()
    specs: list[StepSpec] = []
    if settings.languages is not None:
        language = {
            "languages": list(settings.languages),
            "min_confidence": settings.language_min_confidence,
            "sample_characters": settings.language_sample_characters,
        }
        specs.append(
            (
                "language_filter",
                "lingua-language-detector",
                package_version("lingua-language-detector"),
                language,
                "LanguageDetector.compute_language_confidence_values",
            )
        )
    if settings.quality:
        quality = {
            name: thresholds[name] for name in thresholds if name.startswith(("min_", "max_"))
        }
        specs.append(("quality_filter", *ours, quality, "Gopher quality and repetition rules"))
    if settings.pii != "off":
        specs.append((f"pii_{settings.pii}", *ours, {"kinds": list(settings.pii_kinds)}, None))
    if settings.deduplicate:
        minhash = {
            "shingle_size": settings.shingle_size,
            "num_perm": settings.num_perm,
            "jaccard_threshold": settings.jaccard_threshold,
            "seed": settings.minhash_seed,
        }
        specs.append(
            ("deduplicate", "datasketch", package_version("datasketch"), minhash, "MinHashLSH")
        )
    return specs


def transformation_chain(
    plan: CurationPlan, info: SourceInfo | None
) -> LlmLineageTransformationsDatasetFacet:
    """The inherited chain, then each rule that runs, then writing."""
    specs = [
        *_rule_specs(plan.settings),
        (
            "write_parquet",
            "pyarrow",
            package_version("pyarrow"),
            {"compression": "zstd", "row_group_rows": plan.settings.row_group_rows},
            "the kept documents, the source's layout",
        ),
    ]
    seed = (info.content_hash if info else None) or dataset_id(plan.source).uri
    return continue_chain(list(info.chain) if info else [], seed, "curation", specs)


def curation_facet(plan: CurationPlan, result: CurationResult) -> LlmLineageCurationDatasetFacet:
    ranked = sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))
    languages = sorted(result.languages.items(), key=lambda item: (-item[1], item[0]))
    return LlmLineageCurationDatasetFacet(
        documentsIn=result.documents_in,
        documentsOut=result.documents_out,
        documentsDropped=result.documents_dropped,
        documentsChanged=result.documents_changed,
        charactersIn=result.characters_in,
        charactersOut=result.characters_out,
        charactersDropped=result.characters_dropped,
        dropped=[RuleCount(rule=rule, documents=count) for rule, count in ranked],
        piiMode=plan.settings.pii,
        piiFound=[
            PiiCount(kind=kind, found=result.pii_found[kind])
            for kind in plan.settings.pii_kinds
            if plan.settings.pii != "off"
        ],
        piiDocuments=result.pii_documents,
        settings=plan.settings.thresholds(),
        libraries=[
            CurationLibrary(name=name, version=value)
            for name, value in sorted(result.libraries.items())
        ],
        languages=[
            LanguageCount(language=code, documents=count)
            for code, count in languages[:MAX_LANGUAGES]
        ],
        decisionsUri=dataset_id(plan.decisions).uri,
    )


def curation_summary(plan: CurationPlan, result: CurationResult) -> CurationSummary:
    """What curation did, for the footer: the next steps and the model card read it."""
    decisions = result.decisions.content_hash if result.decisions else None
    return CurationSummary(
        decisions=DatasetRef(dataset_id(plan.decisions).uri, decisions),
        documents_in=result.documents_in,
        documents_out=result.documents_out,
        documents_changed=result.documents_changed,
        dropped=tuple(sorted(result.reasons.items(), key=lambda item: (-item[1], item[0]))),
        pii_mode=plan.settings.pii,
        pii_found=tuple((kind, count) for kind, count in result.pii_found.items() if count),
    )


def curation_footer(
    plan: CurationPlan, info: SourceInfo | None, result: CurationResult | None = None
) -> dict[str, str]:
    """The curated text's footer: this step's chain, and the provenance copied on with what
    curation did (``result``, once the run knows it)."""
    provenance = Provenance(
        documents=info.provenance.documents if info and info.provenance else None,
        text=DatasetRef(dataset_id(plan.source).uri, info.content_hash if info else None),
        curation=curation_summary(plan, result) if result is not None else None,
    )
    return {
        **chain_footer("curation", transformation_chain(plan, info)),
        **provenance_footer(provenance),
    }


def decisions_footer() -> dict[str, str]:
    return {STEP_KEY: "curation-decisions"}


def _text_lineage(source: DatasetId, settings: CurationSettings) -> Any:
    """Every column from the same column of the kept rows; the text redacted when it is."""
    masked = settings.pii == "redact"
    fields = {}
    for name in TEXT_SCHEMA.names:
        subtype, description = "IDENTITY", "kept documents only"
        if name == "text" and masked:
            subtype, description = "TRANSFORMATION", "personal data replaced by placeholders"
        elif name == "characters":
            subtype, description = "AGGREGATION", "characters of the text as written"
        fields[name] = _fields(
            source,
            "text" if name == "characters" else name,
            subtype,
            description,
            masked and name == "text",
        )
    filtered_by = [
        column_lineage_dataset.InputField(
            namespace=source.namespace,
            name=source.name,
            field="text",
            transformations=[
                column_lineage_dataset.Transformation(
                    type="INDIRECT",
                    subtype="FILTER",
                    description="documents dropped by the curation rules",
                )
            ],
        )
    ]
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields, dataset=filtered_by)


def _fields(
    source: DatasetId, field: str, subtype: str, description: str, masking: bool = False
) -> column_lineage_dataset.Fields:
    return column_lineage_dataset.Fields(
        inputFields=[
            column_lineage_dataset.InputField(
                namespace=source.namespace,
                name=source.name,
                field=field,
                transformations=[
                    column_lineage_dataset.Transformation(
                        type="DIRECT", subtype=subtype, description=description, masking=masking
                    )
                ],
            )
        ]
    )


def _decisions_lineage(source: DatasetId) -> Any:
    fields = {
        "doc_id": _fields(source, "doc_id", "IDENTITY", "document id"),
        "relative_path": _fields(source, "relative_path", "IDENTITY", "document path"),
    }
    for name in DECISIONS_SCHEMA.names:
        if name not in fields:
            fields[name] = _fields(source, "text", "AGGREGATION", "measured on the text")
    return column_lineage_dataset.ColumnLineageDatasetFacet(fields=fields)


def _describe(plan: CurationPlan, result: CurationResult) -> str:
    pii = ", ".join(f"{count} {kind}" for kind, count in sorted(result.pii_found.items()))
    return (
        f"{result.documents_out} of {result.documents_in} documents of "
        f"{dataset_id(plan.source).uri} kept by curation; dropped: {describe_reasons(result)}. "
        f"Personal data ({plan.settings.pii}): {pii or 'none found'}."
    )


def _text_facets(
    plan: CurationPlan, info: SourceInfo | None, result: CurationResult
) -> dict[str, DatasetFacet]:
    """What the curated text holds, once written: version, chain, counts, description."""
    assert result.text is not None
    return {
        "version": version(result.text.content_hash),
        "columnLineage": _text_lineage(dataset_id(plan.source), plan.settings),
        facet_key("transformations"): transformation_chain(plan, info),
        facet_key("curation"): curation_facet(plan, result),
        "documentation": documentation_dataset.DocumentationDatasetFacet(
            description=_describe(plan, result), contentType="text/plain"
        ),
        "tags": tags(
            step="curation",
            documents=str(result.documents_out),
            dropped=str(result.documents_dropped),
        ),
        "lifecycleStateChange": lifecycle(plan.output in plan.replaced),
    }


def _decision_facets(plan: CurationPlan, result: CurationResult) -> dict[str, DatasetFacet]:
    assert result.decisions is not None
    source = dataset_id(plan.source)
    return {
        "version": version(result.decisions.content_hash),
        "columnLineage": _decisions_lineage(source),
        "documentation": documentation_dataset.DocumentationDatasetFacet(
            description=(
                f"One row per document of {source.uri} (no text): kept or not, the rules "
                "that dropped or changed it, the document it duplicates, its language, "
                "quality measures and counts of personal data by kind."
            )
        ),
        "lifecycleStateChange": lifecycle(plan.decisions in plan.replaced),
    }


def _dataset(
    location: str, facets: dict[str, DatasetFacet], written: WrittenFile | None
) -> OutputDataset:
    target = dataset_id(location)
    if written is None:
        return OutputDataset(namespace=target.namespace, name=target.name, facets=facets)
    return OutputDataset(
        namespace=target.namespace,
        name=target.name,
        facets=facets,
        outputFacets=output_statistics(written.rows, written.size_bytes),
    )


def output_datasets(
    plan: CurationPlan, info: SourceInfo | None, result: CurationResult | None
) -> list[OutputDataset]:
    """The curated text and the decisions; versions and counts once the run has written them."""
    text_facets: dict[str, DatasetFacet] = {
        "schema": schema_facet(info.schema if info and info.schema else TEXT_SCHEMA),
        **file_facets(dataset_id(plan.output)),
    }
    decision_facets: dict[str, DatasetFacet] = {
        "schema": schema_facet(DECISIONS_SCHEMA),
        **file_facets(dataset_id(plan.decisions)),
    }
    written = result is not None and result.text is not None and result.decisions is not None
    if result is not None and written:
        text_facets.update(_text_facets(plan, info, result))
        decision_facets.update(_decision_facets(plan, result))
    return [
        _dataset(plan.output, text_facets, result.text if result and written else None),
        _dataset(plan.decisions, decision_facets, result.decisions if result and written else None),
    ]


def resource_facet(result: CurationResult) -> LlmLineageResourceUsageRunFacet:
    written = [file.size_bytes for file in (result.text, result.decisions) if file is not None]
    return LlmLineageResourceUsageRunFacet(
        wallSeconds=round(result.wall_seconds, 3),
        cpuSeconds=round(result.cpu_seconds, 3),
        peakMemoryBytes=result.peak_memory_bytes,
        bytesWritten=sum(written) if written else None,
        itemsProcessed=result.documents_in,
        itemUnit="documents",
        itemsPerSecond=round(result.documents_per_second, 3),
    )


def source_dataset(
    plan: CurationPlan, info: SourceInfo | None, result: CurationResult | None
) -> InputDataset:
    return parquet_input(plan.source, info, result.documents_in if result else None)


def job_facets(plan: CurationPlan) -> dict[str, JobFacet]:
    rules = [name for name, *_ in _rule_specs(plan.settings)] or ["no rules"]
    return task_job_facets(
        f"Curate {dataset_id(plan.source).uri} into {dataset_id(plan.output).uri} "
        f"({', '.join(rules)}); decisions in {dataset_id(plan.decisions).uri}."
    )


def curation_lineage(
    plan: CurationPlan,
    info: SourceInfo | None = None,
    result: CurationResult | None = None,
    failed: bool = False,
) -> StepLineage:
    """Lineage at start (only ``plan``), completion, or ``failed`` (what the run learned).

    A failed run lists no outputs: it wrote none.
    """
    lineage = StepLineage(
        inputs=[source_dataset(plan, info, result)],
        outputs=[] if failed else output_datasets(plan, info, result),
        job_facets=job_facets(plan),
    )
    if result is not None:
        lineage.run_facets[facet_key("resourceUsage")] = resource_facet(result)
    return lineage
