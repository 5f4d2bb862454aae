"""The adapter's model card, and the provenance that reaches it through Parquet footers."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path, PurePath
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from card_fixtures import split_card
from corpora import AUTHORS, make_mixed_corpus
from llm_lineage.extraction import ExtractionSettings, extract_corpus, local_documents
from llm_lineage.lineage.authors import AuthorPolicy, author_token
from llm_lineage.lineage.chain import (
    PROVENANCE_KEY,
    DatasetRef,
    DocumentsSummary,
    Provenance,
    TokenizerRef,
    provenance_footer,
    read_provenance,
)
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_footer
from llm_lineage.lineage.model_card import RunReference, base_model_name, model_card
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.tokenization import TokenizationPlan, tokenization_footer
from llm_lineage.lineage.training import TrainingPlan, resource_facet
from llm_lineage.tokenization import TokenizationSettings, load_tokenizer
from llm_lineage.training import (
    AdapterOutput,
    BaseModelInfo,
    FileDigest,
    LoRASettings,
    LossPoint,
    TrainingResult,
    TrainingSettings,
)
from tokenizers_fixtures import train_bpe

SALT = "card-salt"


def _documents(source: str, version: str, authors: tuple[tuple[str, int], ...]) -> DocumentsSummary:
    return DocumentsSummary(
        source=source,
        version=version,
        documents=5,
        failed=1,
        formats=(("markdown", 2), ("pdf", 3)),
        author_policy="hash",
        authors=authors,
        distinct_authors=len(authors) + 2,
        documents_without_author=1,
        created=("2019-05-06T07:08:09+00:00", "2021-03-04T05:06:07+00:00"),
    )


def _shard(name: str, provenance: bool = True) -> SourceInfo:
    """A token file's footer facts: tokens from text from documents, all versioned."""
    return SourceInfo(
        content_hash=f"tokens-{name}",
        provenance=Provenance(
            documents=_documents(f"s3://corpus/{name}", f"docs-{name}", (("author:0a1b", 3),)),
            text=DatasetRef(f"s3://lake/{name}/text.parquet", f"text-{name}"),
            tokenizer=TokenizerRef("/home/me/models/tiny/tokenizer.json", None, "f" * 64),
        )
        if provenance
        else None,
    )


def _base(**overrides: Any) -> BaseModelInfo:
    values: dict[str, Any] = {
        "source": "/home/me/models/tiny-gpt2",
        "location": "file:///home/me/models/tiny-gpt2",
        "path": "/home/me/models/tiny-gpt2",
        "revision": None,
        "resolved_revision": None,
        "model_type": "gpt2",
        "architectures": ("GPT2LMHeadModel",),
        "config_sha256": "c" * 64,
        "weight_files": (FileDigest("model.safetensors", 100, "d" * 64),),
        "fingerprint": "e" * 64,
    }
    return BaseModelInfo(**{**values, **overrides})


def _plan(datasets: tuple[str, ...]) -> TrainingPlan:
    return TrainingPlan(
        datasets=datasets,
        output="s3://lake/adapter",
        base_model="/home/me/models/tiny-gpt2",
        base_location="file:///home/me/models/tiny-gpt2",
        lora=LoRASettings(r=4, alpha=8),
        training=TrainingSettings(max_steps=3, learning_rate=0.01),
        cost_per_hour=3.6,
        currency="EUR",
    )


def _result() -> TrainingResult:
    return TrainingResult(
        sequences=10,
        planned_steps=3,
        steps=3,
        sequences_seen=30,
        tokens_seen=960,
        losses=[LossPoint(1, 6.25), LossPoint(2, 5.5), LossPoint(3, 5.75)],
        device="cpu",
        device_name="x86_64 CPU (2 threads)",
        device_count=1,
        precision="fp32",
        target_modules=("c_attn",),
        trainable_parameters=2048,
        total_parameters=131840,
        libraries={"torch": "2.13.0", "transformers": "5.24.0", "peft": "0.21.2"},
        output=AdapterOutput((FileDigest("adapter_model.safetensors", 10, "a" * 64),), "a" * 64),
        wall_seconds=12.5,
    )


def _card(shards: list[SourceInfo], base: BaseModelInfo | None = None, **kw: Any) -> str:
    datasets = tuple(f"s3://lake/{i}/tokens.parquet" for i in range(len(shards)))
    return model_card(_plan(datasets), base or _base(), shards, _result(), **kw)


def test_front_matter_is_hub_metadata_naming_the_base_model_never_by_a_local_path() -> None:
    card = _card([_shard("a")])
    matter, _ = split_card(card)
    assert matter["base_model"] == "tiny-gpt2"
    assert not PurePath(matter["base_model"]).is_absolute()
    assert matter["library_name"] == "peft"
    assert {"lora", "peft", "llm-lineage", "gpt2"} <= set(matter["tags"])
    assert matter["datasets"] == ["s3://lake/0/tokens.parquet", "s3://lake/a/text.parquet"]
    assert "license" not in matter  # nothing says which license applies
    assert "/home/me" not in card  # the base model's and the tokenizer's folders stay private
    saved_from_hub = _base(name_or_path="openai-community/gpt2")
    assert split_card(_card([_shard("a")], saved_from_hub))[0]["base_model"] == (
        "openai-community/gpt2"
    )
    saved_from_folder = _base(name_or_path="/tmp/build/gpt2")
    assert base_model_name(saved_from_folder) == "tiny-gpt2"
    hub = _base(source="acme/tiny", location="https://huggingface.co/acme/tiny", path="/cache/x")
    assert base_model_name(hub) == "acme/tiny"


def test_body_states_documents_datasets_tokenizer_base_model_settings_and_run() -> None:
    run = RunReference("llm-lineage", "pipeline.fine_tune", "0190b3c4-1234-7abc-8def-0123456789ab")
    _, body = split_card(_card([_shard("a")], run=run))
    for fact in (
        "`tokens-a`",  # the token dataset's version
        "`text-a`",
        "`s3://lake/a/text.parquet`",
        "`docs-a`",
        "`s3://corpus/a`",
        "5 read, 1 failed (markdown 2, pdf 3)",
        "author:0a1b (3) and 2 more",
        "1 document(s) without an author",
        "Created 2019-05-06 to 2021-03-04",
        "Tokenizer `tokenizer.json`",
        f"`{'f' * 64}`",
        f"Fingerprint `{'e' * 64}`",
        f"datasetVersion `{'a' * 64}`",
        "r 4, alpha 8",
        "`c_attn`",
        "2,048 of 131,840 parameters",
        "max_steps 3, learning rate 0.01",
        "Loss 6.2500 at the first step, 5.7500 at the last (best 5.5000 at step 2)",
        "`0190b3c4-1234-7abc-8def-0123456789ab` of job `pipeline.fine_tune`",
    ):
        assert fact in body, fact
    assert "none known" in split_card(_card([_shard("a")]))[1]


def test_compute_and_cost_are_the_numbers_the_event_carries() -> None:
    plan = _plan(("s3://lake/0/tokens.parquet",))
    usage = resource_facet(plan, _result())
    _, body = split_card(model_card(plan, _base(), [_shard("a")], _result()))
    assert f"{usage.computeSeconds} device-seconds" in body
    assert f"estimated cost {usage.estimatedCost} EUR at 3.6 EUR per device-hour" in body


def test_each_shard_is_summarized_and_missing_provenance_is_said_not_invented() -> None:
    _, body = split_card(_card([_shard("a"), _shard("b"), _shard("c", provenance=False)]))
    assert "### Training data (1 of 3)" in body and "### Training data (3 of 3)" in body
    for name in ("a", "b"):
        assert f"`docs-{name}`" in body and f"`text-{name}`" in body
    assert "`tokens-c`" in body
    assert "not recorded in the tokens' footer" in body


def test_document_strings_cannot_break_the_markdown() -> None:
    authors = (("<script>*Eve*</script>", 2), ("a`b|c", 1))
    documents = _documents("s3://corpus/x", "v`1", authors)
    info = SourceInfo(content_hash="t", provenance=Provenance(documents=documents))
    _, body = split_card(_card([info]))
    assert "<script>" not in body and "*Eve*" not in body
    assert r"\<script\>\*Eve\*\</script\>" in body
    assert "a\\`b\\|c (1)" in body
    assert "``v`1``" in body  # a code span longer than the backticks it holds


def test_provenance_round_trips_through_a_parquet_footer(tmp_path: Path) -> None:
    provenance = _shard("a").provenance
    assert provenance is not None
    path = tmp_path / "tokens.parquet"
    table = pa.table({"input_ids": [[1, 2]]})
    pq.write_table(table.replace_schema_metadata(provenance_footer(provenance)), path)
    assert read_provenance(pq.read_metadata(path).metadata) == provenance
    assert read_provenance(None) is None
    assert read_provenance({b"other": b"x"}) is None
    for bad in (
        b"not json",
        b"[]",
        b'{"text": {"version": "v"}}',
        b'{"documents": {"source": "x"}}',
        b'{"tokenizer": {"name": "t", "sha256": "s"}, "documents": {"documents": "many"}}',
    ):
        assert read_provenance({PROVENANCE_KEY.encode(): bad}) is None, bad
    later = {"text": {"uri": "s3://t", "version": "v", "rows": 3}, "signature": "x"}
    assert read_provenance({PROVENANCE_KEY.encode(): json.dumps(later).encode()}) == Provenance(
        text=DatasetRef("s3://t", "v")
    )


@pytest.mark.parametrize("policy", [AuthorPolicy.HASH, AuthorPolicy.OMIT])
def test_extraction_footer_carries_the_documents_under_the_author_policy(
    tmp_path: Path, policy: AuthorPolicy
) -> None:
    corpus = make_mixed_corpus(tmp_path / "corpus")
    settings = ExtractionSettings(workers=0)
    plan = ExtractionPlan(
        source=str(corpus),
        text=str(tmp_path / "out" / "text.parquet"),
        manifest=str(tmp_path / "out" / "manifest.parquet"),
        settings=settings,
        author_policy=policy,
        author_salt=SALT,
    )
    documents = local_documents(corpus, settings.include)
    (tmp_path / "out").mkdir()
    result = extract_corpus(
        documents,
        corpus.as_uri(),
        tmp_path / "out",
        settings,
        footer=partial(extraction_footer, plan),
    )
    footer = pq.read_metadata(tmp_path / "out" / "text.parquet").metadata
    assert not [name for name in AUTHORS if name.encode() in b"".join(footer.values())]
    provenance = read_provenance(footer)
    assert provenance is not None and provenance.documents is not None
    summary = provenance.documents
    assert (summary.source, summary.version) == (corpus.as_uri(), result.summary.collection_version)
    assert (summary.documents, summary.failed) == (5, 0)
    assert dict(summary.formats) == {"docx": 1, "html": 1, "markdown": 1, "pdf": 1, "text": 1}
    assert summary.author_policy == policy.value
    assert summary.distinct_authors == len(AUTHORS)
    expected = (
        {(author_token(name, SALT), count) for name, count in AUTHORS.items()}
        if policy is AuthorPolicy.HASH
        else set()
    )
    assert set(summary.authors) == expected
    assert summary.created is not None and summary.created[0].startswith("2018-01-01")


def test_tokenization_footer_copies_the_documents_forward(tmp_path: Path) -> None:
    tokenizer = load_tokenizer(str(train_bpe(tmp_path / "bpe")))
    documents = _documents("s3://corpus/a", "docs-a", (("author:0a1b", 3),))
    info = SourceInfo(content_hash="text-version", provenance=Provenance(documents=documents))
    plan = TokenizationPlan(
        source="s3://lake/a/text.parquet",
        output="s3://lake/a/tokens.parquet",
        tokenizer=tokenizer.source,
        settings=TokenizationSettings(),
    )
    footer = tokenization_footer(plan, tokenizer, info)
    provenance = read_provenance({k.encode(): v.encode() for k, v in footer.items()})
    assert provenance == Provenance(
        documents=documents,
        text=DatasetRef("s3://lake/a/text.parquet", "text-version"),
        tokenizer=TokenizerRef(tokenizer.source, tokenizer.revision, tokenizer.sha256),
    )
    bare = tokenization_footer(plan, tokenizer, SourceInfo(content_hash="v"))
    assert read_provenance({k.encode(): v.encode() for k, v in bare.items()}) == Provenance(
        text=DatasetRef("s3://lake/a/text.parquet", "v"),
        tokenizer=TokenizerRef(tokenizer.source, tokenizer.revision, tokenizer.sha256),
    )
    assert re.fullmatch(r"[0-9a-f]{64}", tokenizer.sha256)


def test_outside_an_airflow_task_the_card_names_no_run() -> None:
    from llm_lineage.hooks.openlineage_run import current_run

    assert current_run() is None


def test_the_card_names_the_code_commit_and_the_environment() -> None:
    from llm_lineage.lineage.code_location import CodeLocation
    from llm_lineage.lineage.environment import environment_facet

    code = CodeLocation(
        repo_url="https://github.com/org/pipelines.git",
        path="dags/pipeline.py",
        version="1a2b3c4d" * 5,
        branch="main",
        dirty=True,
    )
    environment = environment_facet(["torch"])
    body = _card([_shard("a")], code=code, environment=environment)
    assert "## Code and environment" in body
    assert (
        f"- Code: `dags/pipeline.py` at commit `{'1a2b3c4d' * 5}` (main) of "
        "`https://github.com/org/pipelines.git`. The working tree had uncommitted changes."
    ) in body
    assert f"- Environment fingerprint `{environment.fingerprint}`" in body
    assert "Code: not recorded" in _card([_shard("a")])
