"""The tokenization engine with tokenizers trained here: loading, transforms, chunks, packing."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import shutil
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tokenizers
from pydantic import ValidationError

from llm_lineage.tokenization import (
    CHUNKS_SCHEMA,
    DEFAULT_TRANSFORMS,
    PACKED_SCHEMA,
    TOKENS_FILE,
    LoadedTokenizer,
    TokenizationFailed,
    TokenizationResult,
    TokenizationSettings,
    TokenizerLoadError,
    TransformChain,
    TransformSpec,
    load_tokenizer,
    parse_transforms,
    tokenize_corpus,
)
from tokenizers_fixtures import (
    BPE_SPECIALS,
    WORDPIECE_SPECIALS,
    text_of,
    train_bpe,
    train_wordpiece,
    write_text_parquet,
)

#: Settings that leave the text as it is, so that token counts follow from the words alone.
RAW = {"transforms": ()}


@pytest.fixture(scope="module")
def tokenizer_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tokenizers")
    train_bpe(root / "bpe")
    train_wordpiece(root / "wordpiece", config={"model_max_length": 64, "eos_token": "[SEP]"})
    return root


@pytest.fixture(scope="module")
def bpe(tokenizer_dir: Path) -> LoadedTokenizer:
    return load_tokenizer(str(tokenizer_dir / "bpe" / "tokenizer.json"))


@pytest.fixture(scope="module")
def wordpiece(tokenizer_dir: Path) -> LoadedTokenizer:
    loaded = load_tokenizer(str(tokenizer_dir / "wordpiece"))
    for offset in range(16):  # the exact counts below rely on one token per word
        ids = loaded.tokenizer.encode(text_of(24, offset), add_special_tokens=False).ids
        assert len(ids) == 24
    return loaded


def ids_of(tokenizer: LoadedTokenizer, text: str) -> list[int]:
    return list(tokenizer.tokenizer.encode(text, add_special_tokens=False).ids)


def rows(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


# --- loading -------------------------------------------------------------------------------


def test_bpe_from_file_and_from_directory_are_the_same_tokenizer(tokenizer_dir: Path) -> None:
    file = tokenizer_dir / "bpe" / "tokenizer.json"
    from_file = load_tokenizer(str(file))
    from_dir = load_tokenizer(str(file.parent))
    document = json.loads(file.read_bytes())
    vocabulary = set(document["model"]["vocab"]) | {t["content"] for t in document["added_tokens"]}

    assert from_file.sha256 == from_dir.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert from_file.source == str(file)
    assert from_dir.source == str(file.parent)
    assert from_file.revision is None
    assert from_file.model_type == "BPE"
    assert from_file.vocab_size == len(vocabulary) == 401  # 400 trained + riverbank
    assert from_file.special_tokens == BPE_SPECIALS
    assert from_file.normalizer == "NFC"
    assert from_file.pre_tokenizer == "ByteLevel"
    assert from_file.library_version == tokenizers.__version__
    assert from_file.model_max_length is None  # no tokenizer_config.json
    assert from_file.eos_token == "<|endoftext|>"
    assert from_file.eos_token_id == from_file.tokenizer.token_to_id("<|endoftext|>")


def test_wordpiece_metadata_and_config(wordpiece: LoadedTokenizer, tokenizer_dir: Path) -> None:
    file = tokenizer_dir / "wordpiece" / "tokenizer.json"
    assert wordpiece.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert wordpiece.model_type == "WordPiece"
    assert wordpiece.vocab_size == 300
    assert wordpiece.special_tokens == WORDPIECE_SPECIALS
    assert wordpiece.normalizer == "Sequence"
    assert wordpiece.pre_tokenizer == "BertPreTokenizer"
    assert wordpiece.model_max_length == 64
    assert wordpiece.eos_token == "[SEP]"


def test_config_eos_token_wins_and_the_no_limit_length_is_no_limit(
    tokenizer_dir: Path, tmp_path: Path
) -> None:
    shutil.copy(tokenizer_dir / "bpe" / "tokenizer.json", tmp_path / "tokenizer.json")
    config = {
        "model_max_length": 1000000000000000019884624838656,  # transformers' "no limit"
        "eos_token": {"content": "<pad>", "special": True},  # AddedToken as transformers saves it
    }
    (tmp_path / "tokenizer_config.json").write_text(json.dumps(config))

    loaded = load_tokenizer(str(tmp_path))

    assert loaded.eos_token == "<pad>"
    assert loaded.model_max_length is None


def test_tokenizer_without_known_eos(tmp_path: Path) -> None:
    loaded = load_tokenizer(str(train_wordpiece(tmp_path, specials=("[UNK]", "[PAD]"))))
    assert loaded.eos_token is None
    assert loaded.eos_token_id is None


def test_load_errors_name_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "tokenizer.json"
    with pytest.raises(TokenizerLoadError, match=re.escape(f"not found: {missing}")):
        load_tokenizer(str(missing))

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TokenizerLoadError, match=re.escape(f"{empty} has no tokenizer.json")):
        load_tokenizer(str(empty))

    corrupt = tmp_path / "corrupt" / "tokenizer.json"
    corrupt.parent.mkdir()
    corrupt.write_text('{"model": {"type": "BPE", ')
    with pytest.raises(TokenizerLoadError, match=re.escape(f"{corrupt} is not valid JSON")):
        load_tokenizer(str(corrupt.parent))

    other = tmp_path / "other.json"
    other.write_text('{"hello": "world"}')
    with pytest.raises(
        TokenizerLoadError, match=re.escape(f"{other} is not a Hugging Face tokenizers")
    ):
        load_tokenizer(str(other))


def test_corrupt_tokenizer_config_names_it(tokenizer_dir: Path, tmp_path: Path) -> None:
    shutil.copy(tokenizer_dir / "bpe" / "tokenizer.json", tmp_path / "tokenizer.json")
    (tmp_path / "tokenizer_config.json").write_text("{not json")
    with pytest.raises(TokenizerLoadError, match=r"tokenizer_config\.json is not valid JSON"):
        load_tokenizer(str(tmp_path))


def test_hub_id_offline_fails_naming_the_id(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hub"))

    with pytest.raises(TokenizerLoadError) as caught:
        load_tokenizer("llm-lineage-tests/no-such-tokenizer", revision="main", token="hf_secret")

    message = str(caught.value)
    assert "'llm-lineage-tests/no-such-tokenizer' at revision 'main'" in message
    assert "Hugging Face Hub failed" in message
    assert "hf_secret" not in message


def test_hub_download_passes_revision_and_token(
    monkeypatch: pytest.MonkeyPatch, tokenizer_dir: Path
) -> None:
    import huggingface_hub
    from huggingface_hub.errors import EntryNotFoundError

    calls: list[tuple[str, str, str | None, str | None]] = []

    def fake_download(
        repo_id: str, filename: str, revision: str | None = None, token: str | None = None
    ) -> str:
        calls.append((repo_id, filename, revision, token))
        if filename == "tokenizer_config.json":
            raise EntryNotFoundError("no such file")
        return str(tokenizer_dir / "bpe" / filename)

    monkeypatch.setattr(huggingface_hub, "hf_hub_download", fake_download)

    loaded = load_tokenizer("org/name", revision="v1", token="hf_secret")

    assert calls == [
        ("org/name", "tokenizer.json", "v1", "hf_secret"),
        ("org/name", "tokenizer_config.json", "v1", "hf_secret"),
    ]
    assert (loaded.source, loaded.revision, loaded.model_type) == ("org/name", "v1", "BPE")
    assert loaded.model_max_length is None


def test_hub_id_without_huggingface_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    with pytest.raises(TokenizerLoadError, match=r"'org/name'.*needs the huggingface_hub package"):
        load_tokenizer("org/name")


# --- transforms ----------------------------------------------------------------------------


def test_parse_transforms_accepts_names_dicts_and_specs() -> None:
    parsed = parse_transforms(
        [
            "clean_whitespace",
            {"name": "min_length", "chars": 20},
            {"name": "max_length", "params": {"chars": 500}},
            TransformSpec(name="unicode_normalize", params={"form": "NFKC"}),
            {"name": "unicode_normalize"},
        ]
    )
    assert [(spec.name, spec.params) for spec in parsed] == [
        ("clean_whitespace", {}),
        ("min_length", {"chars": 20}),
        ("max_length", {"chars": 500}),
        ("unicode_normalize", {"form": "NFKC"}),
        ("unicode_normalize", {"form": "NFC"}),  # the default, filled in for lineage
    ]
    assert parse_transforms("deduplicate") == (TransformSpec(name="deduplicate"),)
    assert [spec.name for spec in parse_transforms(DEFAULT_TRANSFORMS)] == list(DEFAULT_TRANSFORMS)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("lowercase", "lowercase"),
        ({"name": "min_length"}, r"'min_length': parameter 'chars': Field required"),
        ({"name": "max_length", "chars": 0}, r"'max_length': parameter 'chars'.*greater than 0"),
        ({"name": "min_length", "chars": True}, r"'min_length': parameter 'chars'.*boolean"),
        ({"name": "min_length", "chars": "many"}, r"'min_length': parameter 'chars'"),
        ({"name": "deduplicate", "window": 3}, r"'deduplicate': parameter 'window'"),
        ({"name": "unicode_normalize", "form": "NFX"}, r"'unicode_normalize': parameter 'form'"),
        (
            {"name": "min_length", "chars": 3, "params": {"chars": 3}},
            r"'min_length': give parameters either in 'params' or beside",
        ),
    ],
)
def test_wrong_transforms_are_named(value: Any, expected: str) -> None:
    with pytest.raises(ValidationError, match=expected):
        parse_transforms([value])


def test_unicode_normalize_counts_changes() -> None:
    chain = TransformChain([{"name": "unicode_normalize", "form": "NFKC"}])
    assert chain.apply("ﬁne caf\u0065\u0301") == "fine café"
    assert chain.apply("already plain") == "already plain"
    [stats] = chain.stats
    assert (stats.name, stats.params, stats.changed, stats.dropped) == (
        "unicode_normalize",
        {"form": "NFKC"},
        1,
        0,
    )

    nfd = TransformChain([{"name": "unicode_normalize", "form": "NFD"}])
    assert nfd.apply("café") == unicodedata.normalize("NFD", "café")
    nfc = TransformChain(["unicode_normalize"])
    assert nfc.apply("ﬁ") == "ﬁ"  # NFC keeps compatibility ligatures


def test_clean_whitespace() -> None:
    chain = TransformChain(["clean_whitespace"])
    assert chain.apply("  a \t\t b  \r\n c\n\n\n\n\n  d  \n \n e ") == "a b\nc\n\nd\n\ne"
    assert chain.apply("tidy\n\ntext") == "tidy\n\ntext"
    assert chain.apply(" \n\t \n") is None  # nothing left to train on
    [stats] = chain.stats
    assert (stats.changed, stats.dropped) == (1, 1)


def test_deduplicate_sees_the_text_after_the_transforms_before_it() -> None:
    documents = ["ﬁne day", "fine day", "fine  day", "other day", "fine day"]

    plain = TransformChain(["deduplicate"])
    assert [plain.apply(text) for text in documents] == [
        "ﬁne day",
        "fine day",
        "fine  day",
        "other day",
        None,
    ]
    assert plain.stats[0].dropped == 1

    normalized = TransformChain(
        [{"name": "unicode_normalize", "form": "NFKC"}, "clean_whitespace", "deduplicate"]
    )
    assert [normalized.apply(text) for text in documents] == [
        "fine day",
        None,
        None,
        "other day",
        None,
    ]
    assert [(s.name, s.changed, s.dropped) for s in normalized.stats] == [
        ("unicode_normalize", 1, 0),
        ("clean_whitespace", 1, 0),
        ("deduplicate", 0, 3),
    ]


def test_length_filters_are_inclusive_and_stop_the_chain() -> None:
    chain = TransformChain(
        [{"name": "min_length", "chars": 5}, {"name": "max_length", "chars": 6}, "deduplicate"]
    )
    results = [chain.apply(text) for text in ["abcd", "abcde", "abcdef", "abcdefg", "abcde"]]
    assert results == [None, "abcde", "abcdef", None, None]
    assert [(s.name, s.dropped) for s in chain.stats] == [
        ("min_length", 1),
        ("max_length", 1),
        ("deduplicate", 1),  # "abcd" and "abcdefg" never reached it
    ]
    assert chain.describe() == [
        ("min_length", {"chars": 5}),
        ("max_length", {"chars": 6}),
        ("deduplicate", {}),
    ]


# --- settings ------------------------------------------------------------------------------


def test_default_settings() -> None:
    settings = TokenizationSettings()
    assert [spec.name for spec in settings.transforms] == list(DEFAULT_TRANSFORMS)
    assert (settings.max_length, settings.stride, settings.packing) == (1024, 0, False)
    assert (settings.block_size, settings.add_eos, settings.batch_size) == (1024, True, 256)
    assert TokenizationSettings(packing=True, max_length=None).sequence_length == 1024


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"stride": 10, "max_length": 10}, "stride"),
        ({"stride": -1}, "stride"),
        ({"max_length": None}, "max_length"),
        ({"max_length": 0}, "max_length"),
        ({"block_size": -5, "packing": True}, "block_size"),
        ({"batch_size": 0}, "batch_size"),
        ({"transforms": ["lowercase"]}, "transforms"),
        ({"transforms": [{"name": "min_length", "chars": -1}]}, "min_length"),
        ({"maxlength": 10}, "maxlength"),
    ],
)
def test_wrong_settings_name_the_field(values: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError, match=field):
        TokenizationSettings(**values)


def test_check_against_the_tokenizer_limit(wordpiece: LoadedTokenizer) -> None:
    TokenizationSettings(max_length=64).check_against(wordpiece)
    TokenizationSettings(packing=True, block_size=64, max_length=4096).check_against(wordpiece)
    with pytest.raises(ValueError, match="block_size=128 is over the model_max_length=64"):
        TokenizationSettings(packing=True, block_size=128).check_against(wordpiece)
    with pytest.raises(ValueError, match="max_length=65 is over the model_max_length=64"):
        TokenizationSettings(max_length=65).check_against(wordpiece)


def test_check_against_needs_an_eos_for_add_eos(tmp_path: Path) -> None:
    loaded = load_tokenizer(str(train_wordpiece(tmp_path, specials=("[UNK]", "[PAD]"))))
    with pytest.raises(ValueError, match=r"add_eos=True but tokenizer .* no known end-of-text"):
        TokenizationSettings().check_against(loaded)
    TokenizationSettings(add_eos=False).check_against(loaded)


# --- the engine ----------------------------------------------------------------------------


def test_chunks_with_stride_exact(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    long_text, short_text = text_of(24), text_of(3, offset=5)
    source = write_text_parquet(
        tmp_path / "text.parquet", [("long", long_text), ("short", short_text)]
    )
    settings = TokenizationSettings(**RAW, max_length=10, stride=2)

    result = tokenize_corpus(source, tmp_path / "out", wordpiece, settings)

    eos = wordpiece.tokenizer.token_to_id("[SEP]")
    stream = [*ids_of(wordpiece, long_text), eos]  # 25 tokens: windows start at 0, 8, 16
    written = rows(tmp_path / "out" / TOKENS_FILE)
    assert [(r["doc_id"], r["chunk_index"], r["num_tokens"]) for r in written] == [
        ("long", 0, 10),
        ("long", 1, 10),
        ("long", 2, 9),
        ("short", 0, 4),
    ]
    assert [r["input_ids"] for r in written[:3]] == [stream[0:10], stream[8:18], stream[16:25]]
    assert written[3]["input_ids"] == [*ids_of(wordpiece, short_text), eos]
    assert written[0]["input_ids"][0] != wordpiece.tokenizer.token_to_id("[CLS]")
    assert (result.documents_in, result.documents_out) == (2, 2)
    assert (result.sequences, result.tokens, result.document_tokens) == (4, 33, 29)
    assert result.tokens_per_document_min == 4
    assert result.tokens_per_document_max == 25
    assert result.tokens_per_document_mean == 14.5
    assert result.tokens_dropped_in_last_block == 0
    assert result.output is not None
    assert (result.output.rows, result.output.uri) == (4, str(tmp_path / "out" / TOKENS_FILE))


def test_chunk_boundaries_without_stride(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    documents = [("exact", text_of(9)), ("one-over", text_of(10)), ("twice", text_of(19))]
    source = write_text_parquet(tmp_path / "text.parquet", documents)

    result = tokenize_corpus(
        source, tmp_path / "out", wordpiece, TokenizationSettings(**RAW, max_length=10)
    )

    written = rows(tmp_path / "out" / TOKENS_FILE)
    assert [(r["doc_id"], r["num_tokens"]) for r in written] == [
        ("exact", 10),
        ("one-over", 10),
        ("one-over", 1),
        ("twice", 10),
        ("twice", 10),
    ]
    assert (result.sequences, result.tokens) == (5, 41)


def test_packing_exact(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    documents = [(f"d{i}", text_of(6, offset=i)) for i in range(5)]  # 5 x 7 tokens with eos
    source = write_text_parquet(tmp_path / "text.parquet", documents)
    settings = TokenizationSettings(**RAW, packing=True, block_size=16, batch_size=2)

    result = tokenize_corpus(source, tmp_path / "out", wordpiece, settings)

    eos = wordpiece.tokenizer.token_to_id("[SEP]")
    stream = [token for _, text in documents for token in [*ids_of(wordpiece, text), eos]]
    assert len(stream) == 35
    written = rows(tmp_path / "out" / TOKENS_FILE)
    assert [r["block_index"] for r in written] == [0, 1]
    assert [r["input_ids"] for r in written] == [stream[0:16], stream[16:32]]
    assert [r["num_tokens"] for r in written] == [16, 16]
    assert [r["doc_ids"] for r in written] == [["d0", "d1", "d2"], ["d2", "d3", "d4"]]
    assert (result.sequences, result.tokens) == (2, 32)
    assert result.tokens_dropped_in_last_block == 35 - 2 * 16
    assert pq.read_schema(tmp_path / "out" / TOKENS_FILE).equals(PACKED_SCHEMA)


def test_a_document_longer_than_several_blocks(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    source = write_text_parquet(
        tmp_path / "text.parquet", [("big", text_of(40)), ("tail", text_of(6))]
    )
    settings = TokenizationSettings(**RAW, packing=True, block_size=8)

    result = tokenize_corpus(source, tmp_path / "out", wordpiece, settings)

    written = rows(tmp_path / "out" / TOKENS_FILE)
    assert [r["doc_ids"] for r in written] == [["big"]] * 5 + [["big", "tail"]]
    assert (result.sequences, result.tokens_dropped_in_last_block) == (6, 0)  # 41 + 7 = 6 x 8


def test_batches_do_not_change_the_output(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    documents = [(f"d{i}", text_of(3 + i % 4, offset=i)) for i in range(11)]
    source = write_text_parquet(tmp_path / "text.parquet", documents)
    hashes = set()
    for batch_size in (1, 3, 256):
        for packing in (False, True):
            settings = TokenizationSettings(
                **RAW, packing=packing, block_size=8, max_length=8, batch_size=batch_size
            )
            result = tokenize_corpus(
                source, tmp_path / f"{batch_size}-{packing}", wordpiece, settings
            )
            assert result.output is not None
            hashes.add((packing, result.output.content_hash))
    assert len(hashes) == 2


def test_add_eos_appends_the_eos_id_and_not_the_post_processor(
    bpe: LoadedTokenizer, tmp_path: Path
) -> None:
    text = "The harbor master counted twelve boats at dawn."
    source = write_text_parquet(tmp_path / "text.parquet", [("doc", text)])
    eos = bpe.tokenizer.token_to_id("<|endoftext|>")

    tokenize_corpus(source, tmp_path / "eos", bpe, TokenizationSettings(**RAW))
    tokenize_corpus(source, tmp_path / "none", bpe, TokenizationSettings(**RAW, add_eos=False))

    [with_eos] = rows(tmp_path / "eos" / TOKENS_FILE)
    [without] = rows(tmp_path / "none" / TOKENS_FILE)
    assert with_eos["input_ids"] == [*ids_of(bpe, text), eos]
    assert without["input_ids"] == ids_of(bpe, text)
    assert with_eos["num_tokens"] == without["num_tokens"] + 1


def test_truncation_in_tokenizer_json_does_not_cut_documents(tmp_path: Path) -> None:
    truncating = load_tokenizer(str(train_wordpiece(tmp_path / "tok", truncate=5)))
    assert truncating.tokenizer.truncation is not None
    source = write_text_parquet(tmp_path / "text.parquet", [("doc", text_of(12))])

    result = tokenize_corpus(source, tmp_path / "out", truncating, TokenizationSettings(**RAW))

    assert result.tokens == 13
    assert truncating.tokenizer.truncation is not None  # the caller's tokenizer is untouched


def test_default_transforms_end_to_end(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    documents = [
        ("a", "ﬁrst   line\n\n\n\nsecond line"),
        ("b", "ﬁrst line\n\nsecond line"),  # same as a once whitespace is clean
        ("c", "caf\u0065\u0301 in the morning"),
        ("d", "café in the morning"),  # same as c once NFC
        ("e", "something else entirely"),
    ]
    source = write_text_parquet(tmp_path / "text.parquet", documents)

    result = tokenize_corpus(source, tmp_path / "out", bpe)

    assert [r["doc_id"] for r in rows(tmp_path / "out" / TOKENS_FILE)] == ["a", "c", "e"]
    assert (result.documents_in, result.documents_out, result.documents_dropped) == (5, 3, 2)
    assert [(s.name, s.params, s.changed, s.dropped) for s in result.transform_stats] == [
        ("unicode_normalize", {"form": "NFC"}, 1, 0),
        ("clean_whitespace", {}, 1, 0),
        ("deduplicate", {}, 0, 2),
    ]


def test_output_schema_and_content_hash(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    documents = [(f"d{i}", f"{text_of(5, offset=i)}, café.") for i in range(4)]
    source = write_text_parquet(tmp_path / "text.parquet", documents)
    settings = TokenizationSettings(max_length=4, stride=1)

    first = tokenize_corpus(source, tmp_path / "first", bpe, settings)
    second = tokenize_corpus(source, tmp_path / "second", bpe, settings)
    other = tokenize_corpus(source, tmp_path / "other", bpe, TokenizationSettings(max_length=4))

    table = pq.read_table(tmp_path / "first" / TOKENS_FILE)
    assert table.schema.equals(CHUNKS_SCHEMA)
    assert table.schema.field("input_ids").type == pa.list_(pa.int32())
    assert table.schema.field("input_ids").metadata == {
        b"description": b"Token ids of the sequence"
    }
    assert table.num_rows == first.sequences
    assert first.output is not None and second.output is not None and other.output is not None
    assert first.output.content_hash == second.output.content_hash
    assert first.output.content_hash != other.output.content_hash
    assert first.output.size_bytes == (tmp_path / "first" / TOKENS_FILE).stat().st_size
    assert first.wall_seconds > 0 and first.tokens_per_second > 0
    assert first.peak_memory_bytes is not None and first.peak_memory_bytes > 0


def test_footer_in_and_out(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    source = write_text_parquet(tmp_path / "text.parquet", [("a", "one"), ("b", "two")])
    table = pq.read_table(source)
    chain = '[{"name": "read_documents"}]'
    pq.write_table(table.replace_schema_metadata({"llm_lineage.transformations": chain}), source)
    seen: list[TokenizationResult] = []

    def footer(result: TokenizationResult) -> dict[str, str]:
        seen.append(result)
        return {"llm_lineage.step": "tokenization", "sequences": str(result.sequences)}

    result = tokenize_corpus(source, tmp_path / "out", bpe, footer=footer)

    assert result.source_metadata == {"llm_lineage.transformations": chain}
    assert seen == [result]
    written = pq.read_metadata(tmp_path / "out" / TOKENS_FILE).metadata
    assert written[b"llm_lineage.step"] == b"tokenization"
    assert written[b"sequences"] == b"2"


def test_progress_is_logged_over_documents(
    bpe: LoadedTokenizer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    source = write_text_parquet(tmp_path / "text.parquet", [("a", "one"), ("b", "two")])
    logger = logging.getLogger("tokenize-test")
    with caplog.at_level(logging.INFO, logger="tokenize-test"):
        tokenize_corpus(source, tmp_path / "out", bpe, logger=logger)
    assert "Tokenized: 2/2 documents (100.0%)" in caplog.text
    assert "Tokenized 2 of 2 documents (0 dropped) into 2 sequences" in caplog.text


# --- failures ------------------------------------------------------------------------------


def test_source_without_text_column(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    source = tmp_path / "manifest.parquet"
    pq.write_table(pa.table({"doc_id": ["a"], "status": ["extracted"]}), source)

    with pytest.raises(
        TokenizationFailed,
        match=r"manifest.parquet is not extraction output: missing column\(s\) text$",
    ) as caught:
        tokenize_corpus(source, tmp_path / "out", bpe)

    assert isinstance(caught.value.result, TokenizationResult)
    assert not (tmp_path / "out" / TOKENS_FILE).exists()


def test_source_with_a_non_string_text_column(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    source = tmp_path / "numbers.parquet"
    pq.write_table(pa.table({"doc_id": ["a"], "text": [1]}), source)
    with pytest.raises(TokenizationFailed, match="column text is int64, not a string"):
        tokenize_corpus(source, tmp_path / "out", bpe)


def test_source_that_is_not_parquet(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    source = tmp_path / "text.parquet"
    source.write_text("doc_id,text\na,hello\n")
    with pytest.raises(
        TokenizationFailed, match=re.escape(f"{source} is not a readable Parquet file")
    ):
        tokenize_corpus(source, tmp_path / "out", bpe)


def test_everything_dropped(bpe: LoadedTokenizer, tmp_path: Path) -> None:
    source = write_text_parquet(
        tmp_path / "text.parquet", [("a", "short"), ("b", "tiny"), ("c", "small")]
    )
    settings = TokenizationSettings(
        transforms=["clean_whitespace", {"name": "min_length", "chars": 100}]
    )

    with pytest.raises(TokenizationFailed, match="empty corpus after transforms") as caught:
        tokenize_corpus(source, tmp_path / "out", bpe, settings)

    assert "clean_whitespace: 0, min_length: 3" in str(caught.value)
    result = caught.value.result
    assert (result.documents_in, result.documents_out) == (3, 0)
    assert [s.dropped for s in result.transform_stats] == [0, 3]
    assert not (tmp_path / "out" / TOKENS_FILE).exists()


def test_too_few_tokens_for_one_block(wordpiece: LoadedTokenizer, tmp_path: Path) -> None:
    source = write_text_parquet(tmp_path / "text.parquet", [("a", text_of(5))])
    settings = TokenizationSettings(**RAW, packing=True, block_size=64)

    with pytest.raises(TokenizationFailed, match="6 tokens, fewer than block_size=64") as caught:
        tokenize_corpus(source, tmp_path / "out", wordpiece, settings)

    assert caught.value.result.tokens_dropped_in_last_block == 6
    assert not (tmp_path / "out" / TOKENS_FILE).exists()


def test_block_size_over_the_tokenizer_limit_fails_the_run(
    wordpiece: LoadedTokenizer, tmp_path: Path
) -> None:
    source = write_text_parquet(tmp_path / "text.parquet", [("a", text_of(5))])
    with pytest.raises(TokenizationFailed, match="block_size=128 is over the model_max_length=64"):
        tokenize_corpus(
            source, tmp_path / "out", wordpiece, TokenizationSettings(packing=True, block_size=128)
        )


def test_add_eos_without_eos_fails_the_run(tmp_path: Path) -> None:
    loaded = load_tokenizer(str(train_wordpiece(tmp_path / "tok", specials=("[UNK]", "[PAD]"))))
    source = write_text_parquet(tmp_path / "text.parquet", [("a", text_of(5))])
    with pytest.raises(TokenizationFailed, match="add_eos=True"):
        tokenize_corpus(source, tmp_path / "out", loaded)
    result = tokenize_corpus(source, tmp_path / "out", loaded, TokenizationSettings(add_eos=False))
    assert result.tokens == 5
