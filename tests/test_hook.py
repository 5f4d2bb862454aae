"""DocumentExtractionHook on local storage: atomic publishing and what it reports."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from corpora import make_corpus_with_bad, make_mixed_corpus
from llm_lineage.extraction import ExtractionFailed, ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.lineage.extraction import extraction_lineage


def test_extract_writes_outputs_and_plans_names(tmp_path: Path) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")
    run = DocumentExtractionHook().extract(corpus, tmp_path / "out")
    assert run.plan.source == corpus.as_uri()
    assert run.plan.text == (tmp_path / "out" / "text.parquet").as_uri()
    assert pq.read_table(tmp_path / "out" / "text.parquet").num_rows == 5
    assert run.result.text_output is not None
    assert run.result.text_output.uri == run.plan.text
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "manifest.parquet",
        "text.parquet",
    ]


def test_failed_rerun_keeps_the_previous_output(tmp_path: Path) -> None:
    corpus, _ = make_corpus_with_bad(tmp_path / "corpus")
    out = tmp_path / "out"
    hook = DocumentExtractionHook()
    first = hook.extract(corpus, out)
    before = (out / "text.parquet").read_bytes()
    with pytest.raises(ExtractionFailed):
        hook.extract(corpus, out, ExtractionSettings(on_error="fail"))
    assert (out / "text.parquet").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet", "text.parquet"]
    second = hook.extract(corpus, out)
    assert second.plan.replaced == {second.plan.text, second.plan.manifest}
    assert second.result.text_output.content_hash == first.result.text_output.content_hash
    lineage = extraction_lineage(second.plan, second.result)
    assert (
        lineage.outputs[0].facets["lifecycleStateChange"].lifecycleStateChange.value == "OVERWRITE"
    )


def test_single_file_source(tmp_path: Path) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")
    documents = DocumentExtractionHook().list_documents(corpus / "computable.html")
    assert [d.relative_path for d in documents] == ["computable.html"]


def test_missing_source_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere"):
        DocumentExtractionHook().extract(tmp_path / "nowhere", tmp_path / "out")


def test_outputs_carry_their_transformation_chain(tmp_path: Path) -> None:
    from llm_lineage.lineage.chain import read_chain

    corpus = make_mixed_corpus(tmp_path / "corpus")
    run = DocumentExtractionHook().extract(corpus, tmp_path / "out")
    facet = extraction_lineage(run.plan, run.result).outputs[0].facets["llmLineage_transformations"]
    for name in ("text.parquet", "manifest.parquet"):
        step, steps = read_chain(pq.read_metadata(tmp_path / "out" / name).metadata)
        assert step == "extraction"
        assert steps == facet.steps
    assert read_chain(None) == (None, [])
