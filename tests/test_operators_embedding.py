"""EmbeddingOperator: wrong parameters fail at parse time, naming the parameter; START lineage."""

from __future__ import annotations

from pathlib import Path

import pytest

from llm_lineage.operators.embedding import EmbeddingOperator
from llm_lineage.operators.validation import InvalidParameterError


def _operator(**overrides: object) -> EmbeddingOperator:
    arguments: dict[str, object] = {
        "task_id": "embed",
        "source": "/in",
        "destination": "/out",
        "model": "/models/minilm",
    }
    arguments.update(overrides)
    return EmbeddingOperator(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"chunk_tokens": 0}, "chunk_tokens"),
        ({"chunk_tokens": True}, "chunk_tokens"),
        ({"overlap_tokens": -1}, "overlap_tokens"),
        ({"overlap_tokens": 256}, "overlap_tokens"),
        ({"batch_size": 0}, "batch_size"),
        ({"device": "gpu"}, "device"),
        ({"normalize": "yes please"}, "normalize"),
        ({"vector_table": "a/b"}, "vector_table"),
        ({"vector_store": ""}, "vector_store"),
        ({"cost_per_hour": float("nan")}, "cost_per_hour"),
        ({"cost_currency": "dollars"}, "cost_currency"),
        ({"model": ""}, "model"),
        ({"source": None}, "source"),
    ],
)
def test_wrong_parameter_is_named(overrides: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match=parameter) as raised:
        _operator(**overrides)
    assert "task_id='embed'" in str(raised.value)


def test_overlap_must_be_below_chunk_tokens() -> None:
    with pytest.raises(InvalidParameterError) as raised:
        _operator(chunk_tokens=64, overlap_tokens=64)
    assert "overlap_tokens (64) must be smaller than chunk_tokens (64)" in str(raised.value)


def test_start_lineage_names_text_model_embeddings_and_table(tmp_path: Path) -> None:
    operator = _operator(
        source=str(tmp_path / "text.parquet"),
        destination=str(tmp_path / "vectors"),
        model=str(tmp_path / "model"),
        vector_store=str(tmp_path / "db"),
    )
    lineage = operator.get_openlineage_facets_on_start()
    assert [d.name for d in lineage.inputs] == [
        str(tmp_path / "text.parquet"),
        str(tmp_path / "model"),
    ]
    assert [d.name for d in lineage.outputs] == [
        str(tmp_path / "vectors" / "embeddings.parquet"),
        str(tmp_path / "db" / "embeddings.lance"),
    ]
