"""The embedding builders (``lineage/embedding.py``) and the dataset card at start, completion and
failure: plans and engine results built here, no model loaded, no DAG; every event validated."""

from __future__ import annotations

from typing import Any

from openlineage.client.event_v2 import RunState

from lineage_fixtures import step_event
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.embedding import (
    EmbeddingResult,
    EmbeddingSettings,
    LoadedModel,
    ModelFiles,
    version_tag,
)
from llm_lineage.extraction.tables import TEXT_SCHEMA
from llm_lineage.facets import facet_key
from llm_lineage.lineage.chain import DocumentsSummary, Provenance, read_chain, read_provenance
from llm_lineage.lineage.dataset_card import dataset_card
from llm_lineage.lineage.embedding import (
    Embedded,
    EmbeddingPlan,
    embedding_footer,
    embedding_lineage,
)
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.transformation_chain import build_steps

EMBEDDING = facet_key("embedding")
TEXT = "/data/out/text.parquet"
OUT = "/data/vectors/embeddings.parquet"
DOCUMENTS = DocumentsSummary(
    source="file:///data/corpus",
    version="c" * 64,
    documents=5,
    failed=1,
    formats=(("pdf", 5),),
    author_policy="hash",
    authors=(("author:0123456789abcdef", 2),),
    distinct_authors=3,
    documents_without_author=1,
)
MODEL = LoadedModel(
    files=ModelFiles(
        "/models/minilm", "file:///models/minilm", "/models/minilm", None, "f" * 64, 9, 1000
    ),
    encoder=None,
    dimension=384,
    similarity="cosine",
    max_seq_length=256,
    special_tokens=2,
    model_type="bert",
    device="cpu",
    library_version="6.3.0",
)


def _plan(store: str | None = None, **settings: Any) -> EmbeddingPlan:
    return EmbeddingPlan(
        source=TEXT,
        output=OUT,
        model="/models/minilm",
        model_location="file:///models/minilm",
        settings=EmbeddingSettings(**settings),
        vector_store=store,
        vector_table="chunks",
        cost_per_hour=3.0,
    )


def _info() -> SourceInfo:
    chain = build_steps("c" * 64, "extraction", [("write_parquet", "pyarrow", "1", {}, None)])
    return SourceInfo(
        schema=TEXT_SCHEMA,
        rows=5,
        content_hash="a" * 64,
        written_by="extraction",
        chain=chain,
        provenance=Provenance(documents=DOCUMENTS),
    )


def _result(table_version: int | None = None) -> EmbeddingResult:
    return EmbeddingResult(
        documents_in=5,
        documents_embedded=4,
        documents_empty=1,
        chunks=30,
        tokens=900,
        truncated_chunks=2,
        output=WrittenFile(OUT, 30, 50_000, "e" * 64),
        vector_store_version=table_version,
        wall_seconds=7.2,
        cpu_seconds=6.0,
    )


def test_start_names_text_model_and_outputs() -> None:
    event = step_event(embedding_lineage(_plan("/data/lancedb")), RunState.START, "embed")
    assert [(d["namespace"], d["name"]) for d in event["inputs"]] == [
        ("file", TEXT),
        ("file", "/models/minilm"),
    ]
    assert [d["name"] for d in event["outputs"]] == [OUT, "/data/lancedb/chunks.lance"]
    fields = event["outputs"][0]["facets"]["schema"]["fields"]
    assert [f["name"] for f in fields][-1] == "embedding"


def test_complete_reports_model_chunking_totals_chain_and_cost() -> None:
    done = Embedded(MODEL, _info(), _result(table_version=3))
    event = step_event(embedding_lineage(_plan("/data/lancedb"), done), RunState.COMPLETE, "embed")
    parquet, table = event["outputs"]
    facet = parquet["facets"][EMBEDDING]
    assert facet["model"]["fingerprint"] == "f" * 64
    assert (facet["chunks"], facet["tokens"], facet["truncatedChunks"]) == (30, 900, 2)
    assert (facet["chunkTokens"], facet["overlapTokens"]) == (256, 32)
    assert facet["vectorStore"]["tableVersion"] == 3
    assert facet["vectorStore"]["tag"] == version_tag("e" * 64)
    assert parquet["facets"]["version"]["datasetVersion"] == "e" * 64
    assert table["facets"]["version"]["datasetVersion"] == "3"
    assert table["facets"]["datasetType"]["subType"] == "VECTOR_INDEX"
    assert event["inputs"][1]["facets"]["version"]["datasetVersion"] == "f" * 64
    steps = parquet["facets"][facet_key("transformations")]["steps"]
    assert [s["name"] for s in steps] == ["write_parquet", "chunk", "encode", "write_parquet"]
    usage = event["run"]["facets"][facet_key("resourceUsage")]
    assert usage["estimatedCost"] == round(7.2 / 3600 * 3.0, 6)
    assert (usage["itemUnit"], usage["itemsProcessed"]) == ("chunks", 30)


def test_failure_lists_inputs_and_no_outputs() -> None:
    done = Embedded(MODEL, _info(), EmbeddingResult(documents_in=2))
    event = step_event(embedding_lineage(_plan(), done, failed=True), RunState.FAIL, "embed")
    assert event["outputs"] == []
    assert len(event["inputs"]) == 2


def test_footer_continues_the_chain_and_carries_the_documents() -> None:
    footer = embedding_footer(_plan(), MODEL, _info())
    metadata = {key.encode(): value.encode() for key, value in footer.items()}
    step, chain = read_chain(metadata)
    assert step == "embedding"
    assert chain[0].step == "extraction"
    provenance = read_provenance(metadata)
    assert provenance is not None and provenance.documents == DOCUMENTS
    assert provenance.text is not None and provenance.text.version == "a" * 64


def test_other_chunking_or_model_changes_the_chain() -> None:
    def last(plan: EmbeddingPlan, model: LoadedModel = MODEL) -> str:
        return (
            embedding_lineage(plan, Embedded(model, _info(), _result()))
            .outputs[0]
            .facets[facet_key("transformations")]
            .fingerprint
        )

    other = LoadedModel(
        **{
            **MODEL.__dict__,
            "files": ModelFiles(**{**MODEL.files.__dict__, "fingerprint": "0" * 64}),
        }
    )
    assert len({last(_plan()), last(_plan(chunk_tokens=128)), last(_plan(), other)}) == 3
    assert last(_plan()) == last(_plan(batch_size=7))


def test_dataset_card_names_documents_text_and_model() -> None:
    card = dataset_card(_plan("/data/lancedb"), Embedded(MODEL, _info(), _result(3)), "run-1")
    assert "author:0123456789abcdef (2)" in card
    assert "a" * 64 in card and "f" * 64 in card
    assert "table version 3" in card and "run-1" in card


def test_the_lineage_tab_and_the_report_call_the_output_embeddings() -> None:
    """Both readers tell embeddings from text, which also carries the transformations facet."""
    from llm_lineage.plugins.facets import kind
    from llm_lineage.report.kinds import kind_of

    done = Embedded(MODEL, _info(), _result(table_version=1))
    event = step_event(embedding_lineage(_plan("/db"), done), RunState.COMPLETE, "embed")
    parquet, table = event["outputs"]
    assert kind(parquet) == kind(table) == "embeddings"
    assert kind_of(parquet["facets"], parquet["name"]) == "embeddings"
    assert kind_of(table["facets"], table["name"]) == "embeddings"
    assert kind_of(event["inputs"][1]["facets"], event["inputs"][1]["name"]) == "embedding model"
