"""The tokenization run (tokenization/engine.py) with tokenizers trained here: chunks, packing,
footers, progress, and the failures that stop a run.

Loading, transforms and settings have their own files: test_tokenization_loader.py,
test_tokenization_transforms.py and test_tokenization_settings.py.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from llm_lineage.common.parquet import ParquetRowWriter
from llm_lineage.tokenization import (
    CHUNKS_SCHEMA,
    PACKED_SCHEMA,
    TOKENS_FILE,
    LoadedTokenizer,
    TokenizationFailed,
    TokenizationResult,
    TokenizationSettings,
    load_tokenizer,
    tokenize_corpus,
)
from tokenizers_fixtures import text_of, train_wordpiece, write_text_parquet

#: Settings that leave the text as it is, so that token counts follow from the words alone.
RAW = {"transforms": ()}


def ids_of(tokenizer: LoadedTokenizer, text: str) -> list[int]:
    return list(tokenizer.tokenizer.encode(text, add_special_tokens=False).ids)


def rows(path: Path) -> list[dict[str, Any]]:
    return pq.read_table(path).to_pylist()


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


@pytest.mark.parametrize("packing", [False, True])
def test_output_is_what_the_writer_writes_row_by_row(
    wordpiece: LoadedTokenizer, tmp_path: Path, packing: bool
) -> None:
    """The engine hands the writer a batch at a time: the rows, row groups and content hash
    must be those of the same rows added one by one (the dataset version tests pin)."""
    documents = [(f"d{i}", text_of(2 + i % 9, offset=i)) for i in range(40)]
    source = write_text_parquet(tmp_path / "text.parquet", documents)
    settings = TokenizationSettings(
        **RAW, packing=packing, block_size=6, max_length=5, stride=2, batch_size=7, row_group_rows=4
    )
    result = tokenize_corpus(source, tmp_path / "out", wordpiece, settings)
    written = pq.ParquetFile(tmp_path / "out" / TOKENS_FILE)

    writer = ParquetRowWriter(tmp_path / "by_row.parquet", written.schema_arrow, group_rows=4)
    for row in written.read().to_pylist():
        writer.add(row)
    by_row = writer.close()

    assert result.output is not None and result.output.content_hash == by_row.content_hash
    expected = pq.ParquetFile(tmp_path / "by_row.parquet")
    assert written.read().equals(expected.read())
    sizes = [written.metadata.row_group(i).num_rows for i in range(written.num_row_groups)]
    assert sizes == [
        expected.metadata.row_group(i).num_rows for i in range(expected.num_row_groups)
    ]
    assert len(sizes) > 3 and sizes[0] == 4


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
