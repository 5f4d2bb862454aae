"""The tokenization builders (``lineage/tokenization.py``) at start, completion and failure.

A real (tiny, trained here) tokenizer and engine results built directly, no DAG runs: each test
calls the builder, checks the datasets and facets, then wraps them into an OpenLineage RunEvent
and validates it strictly.
"""

from __future__ import annotations

from typing import Any

import pytest
from openlineage.client.event_v2 import RunState

from lineage_fixtures import step_event
from llm_lineage.common.outputs import WrittenFile
from llm_lineage.extraction.tables import TEXT_SCHEMA
from llm_lineage.facets import facet_key
from llm_lineage.lineage.chain import DocumentsSummary, Provenance, read_chain, read_provenance
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.lineage.tokenization import (
    TokenizationPlan,
    tokenization_footer,
    tokenization_lineage,
)
from llm_lineage.lineage.transformation_chain import build_steps, chain_fingerprint
from llm_lineage.tokenization import LoadedTokenizer, TokenizationResult, TokenizationSettings
from llm_lineage.tokenization.loader import load_tokenizer
from llm_lineage.tokenization.transforms import TransformStats
from tokenizers_fixtures import train_bpe

TOKENIZATION = facet_key("tokenization")
TRANSFORMATIONS = facet_key("transformations")
RESOURCES = facet_key("resourceUsage")
TEXT = "/data/out/text.parquet"
TOKENS = "/data/tokens/tokens.parquet"
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


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> LoadedTokenizer:
    directory = tmp_path_factory.mktemp("bpe")
    train_bpe(directory, {"eos_token": "<|endoftext|>", "model_max_length": 2048})
    return load_tokenizer(directory)


def _event(lineage: StepLineage, state: RunState) -> dict[str, Any]:
    return step_event(lineage, state, "tokenize")


def _plan(packing: bool = False, replaced: bool = False) -> TokenizationPlan:
    return TokenizationPlan(
        source=TEXT,
        output=TOKENS,
        tokenizer="/models/bpe",
        settings=TokenizationSettings(packing=packing, max_length=128, stride=16, block_size=64),
        replaced=replaced,
    )


def _info() -> SourceInfo:
    """The text's footer as the extraction step wrote it: version, chain and documents."""
    chain = build_steps(
        "c" * 64,
        "extraction",
        [
            ("select_documents", "llm-lineage", "1", {"include": ["*.pdf"]}, None),
            ("write_parquet", "pyarrow", "1", {}, None),
        ],
    )
    return SourceInfo(
        schema=TEXT_SCHEMA,
        rows=5,
        size_bytes=3000,
        content_hash="a" * 64,
        written_by="extraction",
        chain=chain,
        provenance=Provenance(documents=DOCUMENTS),
    )


def _result(written: bool = True) -> TokenizationResult:
    result = TokenizationResult(
        documents_in=5,
        sequences=9,
        tokens=700,
        transform_stats=[
            TransformStats("unicode_normalize", {"form": "NFC"}, 1, 0),
            TransformStats("clean_whitespace", {}, 2, 0),
            TransformStats("deduplicate", {}, 0, 1),
        ],
        tokens_dropped_in_last_block=3,
        wall_seconds=2.0,
        cpu_seconds=1.0,
        peak_memory_bytes=5000,
    )
    for tokens in (100, 200, 300, 150):
        result.count_document(tokens)
    if written:
        result.output = WrittenFile(f"file://{TOKENS}", 9, 4096, "e" * 64)
    return result


def test_start_names_the_text_and_the_tokens() -> None:
    lineage = tokenization_lineage(_plan())

    (source,) = lineage.inputs
    (output,) = lineage.outputs
    assert (source.namespace, source.name) == ("file", TEXT)
    assert (output.namespace, output.name) == ("file", TOKENS)
    assert set(source.facets or {}) == {"dataSource", "storage", "datasetType"}
    assert set(output.facets or {}) == {"schema", "storage", "datasetType"}
    assert lineage.run_facets == {}
    event = _event(lineage, RunState.START)
    assert event["job"]["facets"]["documentation"]["description"] == (
        f"Tokenize file://{TEXT} with /models/bpe into file://{TOKENS}, chunks of 128 (stride 16)."
    )
    fields = [f["name"] for f in event["outputs"][0]["facets"]["schema"]["fields"]]
    assert fields[:2] == ["doc_id", "chunk_index"]


def test_start_of_a_packed_run_names_the_packed_layout() -> None:
    event = _event(tokenization_lineage(_plan(packing=True)), RunState.START)

    assert event["job"]["facets"]["documentation"]["description"].endswith(
        "packed into blocks of 64."
    )
    fields = [f["name"] for f in event["outputs"][0]["facets"]["schema"]["fields"]]
    assert "block_index" in fields and "chunk_index" not in fields


def test_complete_names_the_input_as_the_extraction_footer_says(
    tokenizer: LoadedTokenizer,
) -> None:
    lineage = tokenization_lineage(_plan(), tokenizer, _info(), _result())

    source = _event(lineage, RunState.COMPLETE)["inputs"][0]
    assert source["facets"]["version"]["datasetVersion"] == "a" * 64
    assert [f["name"] for f in source["facets"]["schema"]["fields"]] == TEXT_SCHEMA.names
    statistics = source["inputFacets"]["inputStatistics"]
    assert (statistics["rowCount"], statistics["size"], statistics["fileCount"]) == (5, 3000, 1)


def test_complete_describes_the_tokens(tokenizer: LoadedTokenizer) -> None:
    lineage = tokenization_lineage(_plan(replaced=True), tokenizer, _info(), _result())

    output = _event(lineage, RunState.COMPLETE)["outputs"][0]
    facets = output["facets"]
    assert facets["version"]["datasetVersion"] == "e" * 64
    assert facets["lifecycleStateChange"]["lifecycleStateChange"] == "OVERWRITE"
    assert set(facets["columnLineage"]["fields"]) == {
        "doc_id",
        "chunk_index",
        "input_ids",
        "num_tokens",
    }
    facet = facets[TOKENIZATION]
    assert facet["tokenizer"]["sha256"] == tokenizer.sha256
    assert facet["tokenizer"]["name"] == tokenizer.source
    assert facet["tokenizer"]["vocabSize"] == tokenizer.vocab_size
    assert (facet["packing"], facet["maxLength"], facet["stride"]) == (False, 128, 16)
    assert "blockSize" not in facet
    assert (facet["documentsIn"], facet["documentsOut"]) == (5, 4)
    assert (facet["sequences"], facet["tokens"]) == (9, 700)
    assert facet["tokensPerDocument"] == {"min": 100, "mean": 187.5, "max": 300}
    assert [(t["name"], t["changed"], t["dropped"]) for t in facet["transforms"]] == [
        ("unicode_normalize", 1, 0),
        ("clean_whitespace", 2, 0),
        ("deduplicate", 0, 1),
    ]
    tags = {t["key"]: t["value"] for t in facets["tags"]["tags"]}
    assert tags["llm_lineage.tokens"] == "700"
    assert tags["llm_lineage.tokenizer_sha256"] == tokenizer.sha256
    assert facets["documentation"]["description"].startswith(
        f"700 tokens in 9 sequences from 4 of 5 documents of file://{TEXT}"
    )
    statistics = output["outputFacets"]["outputStatistics"]
    assert (statistics["rowCount"], statistics["size"]) == (9, 4096)


def test_the_chain_continues_the_texts(tokenizer: LoadedTokenizer) -> None:
    info = _info()

    facets = tokenization_lineage(_plan(), tokenizer, info, _result()).outputs[0].facets
    chain = facets[TRANSFORMATIONS]  # type: ignore[index]

    steps = chain.steps  # type: ignore[attr-defined]
    assert steps[:2] == info.chain
    assert [s.name for s in steps[2:]] == [
        "unicode_normalize",
        "clean_whitespace",
        "deduplicate",
        "encode",
        "chunk",
        "write_parquet",
    ]
    assert {s.step for s in steps[2:]} == {"tokenization"}
    assert steps[5].parameters["tokenizer_sha256"] == tokenizer.sha256
    assert steps[6].parameters == {"max_length": 128, "stride": 16}
    previous = info.chain[-1].fingerprint
    for step in steps[2:]:
        previous = chain_fingerprint(
            previous, step.name, step.library, step.version, step.parameters
        )
        assert step.fingerprint == previous
    assert chain.fingerprint == previous  # type: ignore[attr-defined]


def test_without_a_footer_the_chain_starts_from_the_texts_uri(
    tokenizer: LoadedTokenizer,
) -> None:
    lineage = tokenization_lineage(_plan(), tokenizer, None, _result())

    event = _event(lineage, RunState.COMPLETE)
    steps = event["outputs"][0]["facets"][TRANSFORMATIONS]["steps"]
    first = steps[0]
    assert first["name"] == "unicode_normalize"
    assert first["fingerprint"] == chain_fingerprint(
        f"file://{TEXT}", first["name"], first["library"], first["version"], first["parameters"]
    )
    assert "version" not in event["inputs"][0]["facets"]


def test_packed_output(tokenizer: LoadedTokenizer) -> None:
    lineage = tokenization_lineage(_plan(packing=True), tokenizer, _info(), _result())

    facets = _event(lineage, RunState.COMPLETE)["outputs"][0]["facets"]
    facet = facets[TOKENIZATION]
    assert (facet["packing"], facet["blockSize"], facet["tokensDroppedInLastBlock"]) == (
        True,
        64,
        3,
    )
    assert "maxLength" not in facet
    assert set(facets["columnLineage"]["fields"]) == {
        "block_index",
        "input_ids",
        "num_tokens",
        "doc_ids",
    }
    pack = facets[TRANSFORMATIONS]["steps"][-2]
    assert (pack["name"], pack["parameters"]) == ("pack", {"block_size": 64})


def test_run_facets_report_resources(tokenizer: LoadedTokenizer) -> None:
    lineage = tokenization_lineage(_plan(), tokenizer, _info(), _result())

    usage = _event(lineage, RunState.COMPLETE)["run"]["facets"][RESOURCES]
    assert (usage["wallSeconds"], usage["cpuSeconds"], usage["peakMemoryBytes"]) == (2.0, 1.0, 5000)
    assert (usage["bytesWritten"], usage["itemsProcessed"], usage["itemUnit"]) == (
        4096,
        700,
        "tokens",
    )
    assert usage["itemsPerSecond"] == 350.0


def test_failure_reports_what_the_run_read_and_no_outputs(tokenizer: LoadedTokenizer) -> None:
    partial = _result(written=False)

    lineage = tokenization_lineage(_plan(), tokenizer, _info(), partial, failed=True)

    assert lineage.outputs == []
    event = _event(lineage, RunState.FAIL)
    assert event["inputs"][0]["inputFacets"]["inputStatistics"]["rowCount"] == 5
    usage = event["run"]["facets"][RESOURCES]
    assert "bytesWritten" not in usage and usage["itemsProcessed"] == 700


def test_failure_before_the_tokenizer_loaded() -> None:
    lineage = tokenization_lineage(_plan(), None, None, TokenizationResult(), failed=True)

    event = _event(lineage, RunState.FAIL)
    assert event["outputs"] == [] and event["inputs"][0]["name"] == TEXT
    assert event["run"]["facets"][RESOURCES]["itemsProcessed"] == 0


def test_a_result_without_its_file_names_the_output_as_at_start(
    tokenizer: LoadedTokenizer,
) -> None:
    lineage = tokenization_lineage(_plan(), tokenizer, _info(), _result(written=False))

    output = _event(lineage, RunState.COMPLETE)["outputs"][0]
    assert set(output["facets"]) == {"schema", "storage", "datasetType"}


def test_footer_carries_the_chain_and_the_provenance_forward(tokenizer: LoadedTokenizer) -> None:
    plan, info = _plan(), _info()

    footer = tokenization_footer(plan, tokenizer, info)
    metadata = {k.encode(): v.encode() for k, v in footer.items()}

    written_by, chain = read_chain(metadata)
    reported = tokenization_lineage(plan, tokenizer, info, _result()).outputs[0].facets
    assert written_by == "tokenization"
    assert chain == reported[TRANSFORMATIONS].steps  # type: ignore[index, attr-defined]
    provenance = read_provenance(metadata)
    assert provenance is not None
    assert provenance.documents == DOCUMENTS
    assert provenance.text is not None and provenance.tokenizer is not None
    assert (provenance.text.uri, provenance.text.version) == (f"file://{TEXT}", "a" * 64)
    assert provenance.tokenizer.sha256 == tokenizer.sha256
    assert provenance.tokenizer.name == tokenizer.source


def test_footer_without_an_input_footer(tokenizer: LoadedTokenizer) -> None:
    provenance = read_provenance(
        {k.encode(): v.encode() for k, v in tokenization_footer(_plan(), tokenizer, None).items()}
    )

    assert provenance is not None and provenance.documents is None
    assert provenance.text is not None and provenance.text.version is None
