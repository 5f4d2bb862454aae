"""The curation builders (``lineage/curation.py``) at start, completion and failure, on a real
engine run; every event validated strictly. No Airflow."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
from openlineage.client.event_v2 import RunState

from curation_fixtures import extracted
from lineage_fixtures import step_event
from llm_lineage.curation import CurationSettings, curate_corpus
from llm_lineage.extraction.tables import content_of
from llm_lineage.facets import facet_key
from llm_lineage.lineage.chain import read_chain, read_provenance
from llm_lineage.lineage.curation import (
    CurationPlan,
    curation_footer,
    curation_lineage,
    transformation_chain,
)
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.transformation_chain import build_steps

CURATION = facet_key("curation")


def _plan(tmp_path: Path, **settings: object) -> CurationPlan:
    return CurationPlan(
        source=str(tmp_path / "extracted" / "text.parquet"),
        output=str(tmp_path / "curated" / "text.parquet"),
        decisions=str(tmp_path / "curated" / "decisions.parquet"),
        settings=CurationSettings(**settings),  # type: ignore[arg-type]
    )


def _info(source: Path) -> SourceInfo:
    metadata = pq.read_metadata(source)
    footer = metadata.metadata or {}
    return SourceInfo(
        schema=metadata.schema.to_arrow_schema().remove_metadata(),
        rows=metadata.num_rows,
        content_hash=footer[b"llm_lineage.content_hash"].decode(),
        chain=build_steps("seed", "extraction", [("read", "lib", "1", {}, None)]),
    )


def test_start_lists_both_outputs_without_counts(tmp_path: Path) -> None:
    event = step_event(curation_lineage(_plan(tmp_path)), RunState.START, "curate")
    assert [d["name"] for d in event["outputs"]] == [
        str(tmp_path / "curated" / "text.parquet"),
        str(tmp_path / "curated" / "decisions.parquet"),
    ]
    assert all(CURATION not in d["facets"] for d in event["outputs"])


def test_complete_reports_counts_chain_and_no_text(tmp_path: Path) -> None:
    source = extracted(tmp_path)
    plan, info = _plan(tmp_path, languages=["en"]), _info(source)
    result = curate_corpus(source, tmp_path / "curated", plan.settings, content=content_of)
    event = step_event(curation_lineage(plan, info, result), RunState.COMPLETE, "curate")
    text, decisions = event["outputs"]
    facet = text["facets"][CURATION]
    assert (facet["documentsIn"], facet["documentsOut"], facet["documentsDropped"]) == (10, 4, 6)
    assert facet["charactersDropped"] == result.characters_dropped > 0
    assert facet["languages"][0] == {"language": "en", "documents": 7}
    steps = text["facets"][facet_key("transformations")]["steps"]
    assert steps[0]["name"] == "read" and steps[-1]["name"] == "write_parquet"
    assert decisions["facets"]["version"]["datasetVersion"] == result.decisions.content_hash
    assert "pii_email" in decisions["facets"]["columnLineage"]["fields"]
    assert event["run"]["facets"][facet_key("resourceUsage")]["itemsProcessed"] == 10
    serialized = str(event)
    assert "jane.doe" not in serialized and "Stadtbibliothek" not in serialized


def test_failure_reports_the_input_and_no_outputs(tmp_path: Path) -> None:
    from llm_lineage.curation import CurationResult

    partial = CurationResult(documents_in=3)
    event = step_event(
        curation_lineage(_plan(tmp_path), None, partial, failed=True), RunState.FAIL, "curate"
    )
    assert event["outputs"] == []
    assert event["inputs"][0]["inputFacets"]["inputStatistics"]["rowCount"] == 3


def test_the_footer_carries_the_chain_and_the_documents_on(tmp_path: Path) -> None:
    plan = _plan(tmp_path, pii="off", deduplicate=False)
    info = _info(extracted(tmp_path))
    footer = {key.encode(): value.encode() for key, value in curation_footer(plan, info).items()}
    written_by, chain = read_chain(footer)
    assert written_by == "curation"
    assert [step.name for step in chain] == ["read", "quality_filter", "write_parquet"]
    assert chain[-1].fingerprint == transformation_chain(plan, info).fingerprint
    provenance = read_provenance(footer)
    assert provenance is not None and provenance.text is not None
    assert provenance.text.version == info.content_hash


def test_fingerprints_change_with_the_settings(tmp_path: Path) -> None:
    info = _info(extracted(tmp_path))
    strict = transformation_chain(_plan(tmp_path, jaccard_threshold=0.9), info).fingerprint
    default = transformation_chain(_plan(tmp_path), info).fingerprint
    assert strict != default == transformation_chain(_plan(tmp_path), info).fingerprint


def test_what_curation_did_travels_to_the_tokens_and_the_model_card(tmp_path: Path) -> None:
    """The curated text's footer carries the counts; tokenization copies them forward; the
    adapter's card says them."""
    from llm_lineage.lineage.model_card import _shard
    from llm_lineage.lineage.tokenization import TokenizationPlan, tokenization_footer
    from llm_lineage.tokenization import TokenizationSettings, load_tokenizer
    from tokenizers_fixtures import train_bpe

    source = extracted(tmp_path)
    plan, info = _plan(tmp_path, languages=["en"]), _info(source)
    result = curate_corpus(source, tmp_path / "curated", plan.settings, content=content_of)
    footer = {k.encode(): v.encode() for k, v in curation_footer(plan, info, result).items()}
    curated = read_provenance(footer)
    assert curated is not None and curated.curation is not None
    assert (curated.curation.documents_in, curated.curation.documents_out) == (10, 4)
    assert curated.curation.decisions.version == result.decisions.content_hash
    assert dict(curated.curation.pii_found) == {"email": 2, "card": 1, "phone": 1}
    text_info = SourceInfo(content_hash=result.text.content_hash, provenance=curated)
    tokenizer = load_tokenizer(str(train_bpe(tmp_path / "bpe")))
    tokens_plan = TokenizationPlan(
        plan.output, str(tmp_path / "t.parquet"), "bpe", TokenizationSettings()
    )
    tokens_footer = tokenization_footer(tokens_plan, tokenizer, text_info)
    tokens = read_provenance({k.encode(): v.encode() for k, v in tokens_footer.items()})
    assert tokens is not None and tokens.curation == curated.curation
    card = "\n".join(_shard(str(tmp_path / "t.parquet"), SourceInfo(provenance=tokens)))
    assert "- Curation: 4 of 10 documents kept (dropped: language 3," in card
    assert "near\\_duplicate 1" in card and "personal data (redact): email 2" in card
