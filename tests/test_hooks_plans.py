"""The step hooks on local and in-memory storage: plan, then work on the plan; what they report."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from airflow.sdk.io.store import attach
from fsspec.implementations.memory import MemoryFileSystem

from corpora import make_corpus_with_bad, make_mixed_corpus
from llm_lineage.extraction import ExtractionFailed, ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook
from llm_lineage.hooks.lora import LoRAFineTuningHook
from llm_lineage.hooks.storage import location_uri, storage_path, uri_path
from llm_lineage.hooks.tokenization import SourceError, TokenizerHook
from llm_lineage.lineage.extraction import extraction_lineage
from llm_lineage.tokenization import TokenizationSettings
from llm_lineage.training import DatasetError, LoRASettings, TrainingSettings
from publishing_fixtures import forget_memory_stores
from tokenizers_fixtures import train_bpe

SETTINGS = ExtractionSettings(workers=0)


def _extract(corpus: Path, out: Path, settings: ExtractionSettings = SETTINGS) -> Any:
    hook = DocumentExtractionHook()
    return hook.extract(hook.plan(corpus, out, settings))


def test_extract_writes_outputs_and_plans_names(tmp_path: Path) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")
    hook = DocumentExtractionHook()
    plan = hook.plan(corpus, tmp_path / "out")
    assert not (tmp_path / "out").exists()  # planning touches no storage
    run = hook.extract(plan)
    assert run.plan == plan
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
    first = hook.extract(hook.plan(corpus, out))
    before = (out / "text.parquet").read_bytes()
    with pytest.raises(ExtractionFailed):
        hook.extract(hook.plan(corpus, out, ExtractionSettings(on_error="fail")))
    assert (out / "text.parquet").read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["manifest.parquet", "text.parquet"]
    second = hook.extract(hook.plan(corpus, out))
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
        _extract(tmp_path / "nowhere", tmp_path / "out")


def test_outputs_carry_their_transformation_chain(tmp_path: Path) -> None:
    from llm_lineage.lineage.chain import read_chain

    corpus = make_mixed_corpus(tmp_path / "corpus")
    run = _extract(corpus, tmp_path / "out")
    facet = extraction_lineage(run.plan, run.result).outputs[0].facets["llmLineage_transformations"]
    for name in ("text.parquet", "manifest.parquet"):
        step, steps = read_chain(pq.read_metadata(tmp_path / "out" / name).metadata)
        assert step == "extraction"
        assert steps == facet.steps
    assert read_chain(None) == (None, [])


@pytest.mark.parametrize(
    "name", ["plain", "100%", "100%25", "a b", "tab\there", "new\nline", "hash#?", "é"]
)
def test_a_plan_from_another_hook_works_on_the_same_places(tmp_path: Path, name: str) -> None:
    """A plan names locations by URI; a hook that did not make it reads them back exactly."""
    corpus = make_mixed_corpus(tmp_path / f"corpus {name}")
    out = tmp_path / name / "out"
    plan = DocumentExtractionHook().plan(corpus, out, SETTINGS)
    run = DocumentExtractionHook().extract(plan)
    assert run.plan.text == (out / "text.parquet").as_uri()
    assert pq.read_table(out / "text.parquet").num_rows == 5
    assert uri_path(plan.source).path == str(corpus)


def test_uri_path_undoes_location_uri(tmp_path: Path) -> None:
    for location in (
        str(tmp_path / "100%25" / "x y"),
        "memory://bucket/100%25/x",
        "memory://bucket/100%/x",
        "s3://bucket/a b/é",
    ):
        path = storage_path(location)
        back = uri_path(location_uri(path))
        assert (back.protocol, back.path) == (path.protocol, path.path)
        assert location_uri(back) == location_uri(path)


@pytest.fixture
def memory_store() -> Iterator[str]:
    """A bucket in fsspec's in-memory store, the same with or without a connection."""
    fs = MemoryFileSystem()
    forget_memory_stores()
    attach("memory", fs=fs)
    attach("memory", conn_id="my_conn", fs=fs)
    attach("memory", conn_id="other", fs=fs)
    bucket = f"bucket-{uuid.uuid4().hex[:8]}"
    yield bucket
    if fs.exists(f"/{bucket}"):
        fs.rm(f"/{bucket}", recursive=True)
    forget_memory_stores()


def test_the_work_keeps_the_connection_the_url_named(memory_store: str) -> None:
    """``conn_id@bucket`` is not in a plan's URIs; the hook that planned still uses it."""
    storage_path(f"memory://{memory_store}/tokens.parquet").write_bytes(b"not parquet")
    hook = LoRAFineTuningHook()
    plan = hook.plan(f"memory://my_conn@{memory_store}/tokens.parquet", "org/base", "/out")
    assert plan.datasets == (f"memory://{memory_store}/tokens.parquet",)
    [path] = hook.dataset_paths(plan)
    assert path.conn_id == "my_conn"
    [elsewhere] = LoRAFineTuningHook(dataset_conn_id="other").dataset_paths(plan)
    assert elsewhere.conn_id == "other"
    with pytest.raises(DatasetError, match="is not a Parquet file of tokens"):
        hook.dataset_infos(plan)


def test_lora_plan_takes_settings_or_dicts(tmp_path: Path) -> None:
    hook = LoRAFineTuningHook()
    plan = hook.plan(tmp_path / "tokens.parquet", "org/base", tmp_path / "adapter", {"r": 4})
    assert plan.lora == LoRASettings(r=4) and plan.training == TrainingSettings()
    assert hook.plan([], "org/base", tmp_path / "a", training={"seed": 3}).training.seed == 3
    with pytest.raises(DatasetError, match="no dataset given"):
        hook.fine_tune(hook.plan([], "org/base", tmp_path / "a"))
    with pytest.raises(DatasetError, match="does not exist"):
        hook.fine_tune(plan)


def test_tokenize_takes_the_plan_and_reports_hook_lineage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[tuple[str, str, str]] = []
    monkeypatch.setattr(
        "llm_lineage.hooks.base.report_hook_lineage",
        lambda hook, inputs, outputs: reported.extend(
            [(type(hook).__name__, "in", u) for u in inputs]
            + [(type(hook).__name__, "out", u) for u in outputs]
        ),
    )
    text = _extract(make_mixed_corpus(tmp_path / "corpus"), tmp_path / "text").plan.text
    hook = TokenizerHook()
    tokenizer = str(train_bpe(tmp_path / "bpe"))
    plan = hook.plan(tmp_path / "text", tmp_path / "tokens", tokenizer, TokenizationSettings())
    assert plan.source == text
    run = hook.tokenize(plan)
    assert run.plan.output == (tmp_path / "tokens" / "tokens.parquet").as_uri()
    assert pq.read_table(tmp_path / "tokens" / "tokens.parquet").num_rows == run.result.sequences
    assert reported[-2:] == [("TokenizerHook", "in", text), ("TokenizerHook", "out", plan.output)]
    reported.clear()
    empty = TokenizationSettings(transforms=[{"name": "min_length", "chars": 10**9}])
    with pytest.raises(Exception, match="empty corpus after transforms"):
        hook.tokenize(hook.plan(tmp_path / "text", tmp_path / "none", tokenizer, empty))
    assert reported == [("TokenizerHook", "in", text)]  # no output: none was written
    with pytest.raises(SourceError, match="does not exist"):
        hook.tokenize(hook.plan(tmp_path / "nowhere.parquet", tmp_path / "t", tokenizer))


def test_extraction_reports_the_source_even_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reported: list[tuple[list[str], list[str]]] = []
    monkeypatch.setattr(
        "llm_lineage.hooks.base.report_hook_lineage",
        lambda hook, inputs, outputs: reported.append((list(inputs), list(outputs))),
    )
    corpus, _ = make_corpus_with_bad(tmp_path / "corpus")
    hook = DocumentExtractionHook(hook_lineage=True)
    plan = hook.plan(corpus, tmp_path / "out", ExtractionSettings(workers=0, on_error="fail"))
    with pytest.raises(ExtractionFailed):
        hook.extract(plan)
    assert reported == [([plan.source], [])]
    quiet = DocumentExtractionHook(hook_lineage=False)  # as the operators make it
    quiet.extract(quiet.plan(corpus, tmp_path / "quiet", SETTINGS))
    assert len(reported) == 1
