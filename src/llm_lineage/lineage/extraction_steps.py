"""The transformation chain of an extraction run: the selection, one step per format's reader
(its library, version and the parameters it declares), and the Parquet writing; and the footer
that carries the chain and the documents summary to the steps that read the text."""

from __future__ import annotations

from llm_lineage import __version__
from llm_lineage.common.versions import package_version
from llm_lineage.extraction.formats import FORMATS
from llm_lineage.extraction.model import CorpusSummary, ExtractionResult
from llm_lineage.extraction.readers import READERS
from llm_lineage.facets import LlmLineageTransformationsDatasetFacet
from llm_lineage.lineage.chain import Provenance, chain_footer, provenance_footer
from llm_lineage.lineage.extraction_collection import documents_summary
from llm_lineage.lineage.extraction_plan import ExtractionPlan
from llm_lineage.lineage.transformation_chain import StepSpec, continue_chain


def _reader_specs(formats: list[str]) -> list[StepSpec]:
    return [
        (
            f"extract_{name}",
            READERS[name].library,
            READERS[name].version,
            dict(READERS[name].parameters),
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
