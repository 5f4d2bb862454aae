"""The embeddings' README.md: a dataset card that states where the vectors came from.

The counterpart of the adapter's model card (``lineage/model_card.py``), from the same sources:
the documents summary the text's footer carries (authors as the extraction's author policy
presented them), the text dataset and its version, the model's fingerprint, the chunking and the
totals the events report. No document text, and no local path except inside dataset URIs.
"""

from __future__ import annotations

from llm_lineage.lineage.embedding import Embedded, EmbeddingPlan
from llm_lineage.lineage.model_card import _code, _documents, _escape
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import SourceInfo

CARD_FILE = "README.md"


def dataset_card(plan: EmbeddingPlan, done: Embedded, run_id: str | None) -> str:
    """The card's Markdown for a finished run (``done`` holds the model and the result)."""
    model, result, info = done.model, done.result, done.info
    assert model is not None and result is not None and result.output is not None
    settings = plan.settings
    lines = [
        "# Embeddings",
        "",
        f"{result.chunks} vectors of {model.dimension} float32 ({model.similarity} similarity"
        f"{', normalized' if settings.normalize else ''}) for {result.chunks} chunks of "
        f"{result.documents_embedded} documents, in {_code(dataset_id(plan.output).uri)}, "
        f"datasetVersion {_code(result.output.content_hash)}.",
        "",
        "## Lineage",
        "",
        *_documents_lines(info),
        f"- Text {_code(dataset_id(plan.source).uri)}, datasetVersion "
        f"{_code(info.content_hash) if info and info.content_hash else 'not recorded'}: "
        f"{result.documents_in} documents read, {result.documents_empty} without text.",
        f"- Model {_code(model.files.source)}"
        f"{' at revision ' + _code(model.files.revision) if model.files.revision else ''}, "
        f"fingerprint {_code(model.files.fingerprint)}, sentence-transformers "
        f"{_escape(model.library_version)}, max_seq_length {model.max_seq_length}.",
        f"- Chunking: {settings.chunk_tokens}-token windows of the model's tokenizer, overlap "
        f"{settings.overlap_tokens}; {result.tokens} tokens, {result.truncated_chunks} chunk(s) "
        "truncated by the model.",
    ]
    if plan.table_uri and result.vector_store_version is not None:
        lines.append(
            f"- LanceDB table {_code(dataset_id(plan.table_uri).uri)} at table version "
            f"{result.vector_store_version}."
        )
    if run_id:
        lines.append(f"- OpenLineage run {_code(run_id)}.")
    lines += [
        "",
        "Each row's `start_char` and `end_char` cut its chunk out of the text's `text` column "
        "for the row of the same `doc_id`.",
    ]
    return "\n".join(lines) + "\n"


def _documents_lines(info: SourceInfo | None) -> list[str]:
    summary = info.provenance.documents if info and info.provenance else None
    if summary is None:
        return ["- Documents: not recorded in the text's footer."]
    return _documents(summary)
