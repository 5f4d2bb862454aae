"""The embedding engine (``embedding/engine.py``) with real models: the packaged all-MiniLM-L6-v2
where the real tokenizer matters (offsets, Unicode), a tiny BERT built here where speed does."""

from __future__ import annotations

import itertools
import logging
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from embedding_fixtures import build_tiny_model
from llm_lineage.common.parquet import CONTENT_HASH_KEY
from llm_lineage.embedding import (
    EMBEDDINGS_FILE,
    EmbeddingFailed,
    EmbeddingSettings,
    LoadedModel,
    embed_corpus,
    load_model,
    resolve_model,
)
from tokenizers_fixtures import write_text_parquet

log = logging.getLogger("test")

DOCUMENTS = [
    (
        "a",
        "The analytical engine weaves algebraic patterns just as the Jacquard loom weaves "
        "flowers and leaves. " * 12,
    ),
    ("b", ""),
    (
        "c",
        "Café, résumé, naïve — déjà vu. 😀 Ünïcödé text with CJK 漢字 and Ωmega; tabs\tand\n"
        "new lines, 'quotes' and \"double quotes\". " * 6,
    ),
    ("d", "Short."),
]


@pytest.fixture(scope="module")
def real(minilm: Path) -> LoadedModel:
    return load_model(resolve_model(minilm), "cpu", log)


@pytest.fixture(scope="module")
def tiny(tiny_model: Path) -> LoadedModel:
    return load_model(resolve_model(tiny_model), "cpu", log)


@pytest.fixture
def text(tmp_path: Path) -> Path:
    return write_text_parquet(tmp_path / "text.parquet", DOCUMENTS)


def _embed(text: Path, out: Path, model: LoadedModel, **settings: object) -> pa.Table:
    embed_corpus(text, out, model, EmbeddingSettings(**settings), log)  # type: ignore[arg-type]
    return pq.read_table(out / EMBEDDINGS_FILE)


def _version(folder: Path) -> str:
    return pq.read_metadata(folder / EMBEDDINGS_FILE).metadata[CONTENT_HASH_KEY.encode()].decode()


def test_offsets_reproduce_each_chunk_from_the_text(real: LoadedModel, text: Path, tmp_path: Path):
    table = _embed(
        text, tmp_path / "out", real, chunk_tokens=24, overlap_tokens=6, include_text=True
    )
    source = dict(DOCUMENTS)
    rows = table.to_pylist()
    assert {row["doc_id"] for row in rows} == {"a", "c", "d"}  # "b" has no text
    for row in rows:
        assert source[row["doc_id"]][row["start_char"] : row["end_char"]] == row["text"]
        assert 0 < row["token_count"] <= 24
        # the model's own tokenizer gives the chunk's tokens back from its text
        ids = real.encoder.tokenizer(row["text"], add_special_tokens=False)["input_ids"]
        assert abs(len(ids) - row["token_count"]) <= 1, row
    for doc_id in ("a", "c"):
        chunks = [row for row in rows if row["doc_id"] == doc_id]
        assert [row["chunk_index"] for row in chunks] == list(range(len(chunks)))
        assert len(chunks) > 3
        for before, after in itertools.pairwise(chunks):
            assert before["start_char"] < after["start_char"] < before["end_char"]  # overlap
        assert chunks[0]["start_char"] == 0
        assert chunks[-1]["end_char"] == len(source[doc_id].rstrip())


def test_vectors_are_what_sentence_transformers_gives_for_the_chunks(
    real: LoadedModel, text: Path, tmp_path: Path
):
    table = _embed(
        text, tmp_path / "out", real, chunk_tokens=32, overlap_tokens=0, include_text=True
    )
    assert table.schema.field("embedding").type == pa.list_(pa.float32(), 384)
    vectors = np.array(table.column("embedding").to_pylist(), dtype=np.float32)
    bare = real.encoder.encode(table.column("text").to_pylist(), normalize_embeddings=True)
    np.testing.assert_allclose(vectors, bare, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_same_input_same_version_and_what_changes_it(tiny: LoadedModel, text: Path, tmp_path: Path):
    base = {"chunk_tokens": 16, "overlap_tokens": 4}
    _embed(text, tmp_path / "first", tiny, **base)
    _embed(text, tmp_path / "again", tiny, **base, batch_size=3, read_rows=1, row_group_rows=2)
    assert _version(tmp_path / "first") == _version(tmp_path / "again")
    _embed(text, tmp_path / "chunk", tiny, chunk_tokens=12, overlap_tokens=4)
    _embed(text, tmp_path / "normalize", tiny, **base, normalize=False)
    versions = {_version(tmp_path / name) for name in ("first", "chunk", "normalize")}
    assert len(versions) == 3


def test_another_model_gives_another_version(tiny: LoadedModel, text: Path, tmp_path: Path):
    other = load_model(resolve_model(build_tiny_model(tmp_path / "other", seed=1)), "cpu", log)
    assert other.files.fingerprint != tiny.files.fingerprint
    _embed(text, tmp_path / "tiny", tiny, chunk_tokens=16, overlap_tokens=4)
    _embed(text, tmp_path / "other", other, chunk_tokens=16, overlap_tokens=4)
    assert _version(tmp_path / "tiny") != _version(tmp_path / "other")


def test_row_groups_are_written_as_they_fill(tiny: LoadedModel, text: Path, tmp_path: Path):
    _embed(text, tmp_path / "out", tiny, chunk_tokens=8, overlap_tokens=0, row_group_rows=5)
    metadata = pq.read_metadata(tmp_path / "out" / EMBEDDINGS_FILE)
    assert metadata.num_row_groups == -(-metadata.num_rows // 5)
    assert metadata.num_rows > 10


def test_chunks_over_the_model_length_are_counted_as_truncated(
    tiny: LoadedModel, text: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    caplog.set_level(logging.WARNING)
    result = embed_corpus(
        text, tmp_path / "out", tiny, EmbeddingSettings(chunk_tokens=100, overlap_tokens=0), log
    )
    assert "over the model's max_seq_length 64" in caplog.text
    table = pq.read_table(tmp_path / "out" / EMBEDDINGS_FILE)
    over = sum(1 for n in table.column("token_count").to_pylist() if n > 64 - 2)
    assert result.truncated_chunks == over > 0
    assert result.chunks == table.num_rows
    assert result.tokens == sum(table.column("token_count").to_pylist())
    assert (result.documents_in, result.documents_embedded, result.documents_empty) == (4, 3, 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_bytes(b"not parquet"), "is not a readable Parquet file"),
        (lambda p: pq.write_table(pa.table({"doc_id": ["a"]}), p), r"missing column\(s\) text"),
        (lambda p: pq.write_table(pa.table({"doc_id": ["a"], "text": [1]}), p), "not a string"),
        (lambda p: write_text_parquet(p, []), "empty corpus"),
        (lambda p: write_text_parquet(p, [("a", ""), ("b", "  ")]), "nothing to embed"),
    ],
)
def test_bad_sources_fail_naming_the_file_and_leave_nothing(
    tiny: LoadedModel, tmp_path: Path, make, message: str
):
    source = tmp_path / "odd name #1.parquet"
    make(source)
    with pytest.raises(EmbeddingFailed, match=message) as failed:
        embed_corpus(source, tmp_path / "out", tiny, EmbeddingSettings(), log)
    assert str(source) in str(failed.value)
    assert not (tmp_path / "out" / EMBEDDINGS_FILE).exists()
    assert failed.value.result.chunks == 0
