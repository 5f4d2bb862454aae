"""TokenizationOperator: wrong parameters fail at parse time, naming the parameter; a failed run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from llm_lineage.operators.tokenization import TokenizationOperator
from llm_lineage.operators.validation import InvalidParameterError
from tokenizers_fixtures import train_bpe, write_text_parquet


def _operator(**overrides: object) -> TokenizationOperator:
    arguments: dict[str, object] = {
        "task_id": "tokenize",
        "source": "/in",
        "destination": "/out",
        "tokenizer": "/tok",
    }
    arguments.update(overrides)
    return TokenizationOperator(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"transforms": ["lowercase"]}, "transforms"),
        ({"transforms": [{"name": "min_length"}]}, "transforms"),
        ({"max_length": -1}, "max_length"),
        ({"stride": -2}, "stride"),
        ({"block_size": 0}, "block_size"),
        ({"tokenizer": ""}, "tokenizer"),
        ({"source": None}, "source"),
    ],
)
def test_wrong_parameter_is_named(overrides: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match=parameter) as raised:
        _operator(**overrides)
    assert "task_id='tokenize'" in str(raised.value)


def test_stride_must_be_below_max_length() -> None:
    with pytest.raises(InvalidParameterError) as raised:
        _operator(max_length=16, stride=16)
    assert str(raised.value) == (
        "TokenizationOperator(task_id='tokenize'): parameter 'stride': stride (16) must be "
        "smaller than max_length (16): consecutive chunks overlap by stride tokens (got 16)"
    )
    assert _operator(max_length=None, packing=True, stride=4096).settings.stride == 4096


def test_max_length_is_needed_without_packing() -> None:
    with pytest.raises(InvalidParameterError, match=r"parameter 'max_length': max_length must be"):
        _operator(max_length=None)
    assert _operator(max_length=None, packing=True).settings.sequence_length == 1024


@pytest.mark.parametrize("parameter", ["max_length", "stride", "block_size", "batch_size"])
def test_booleans_are_not_numbers(parameter: str) -> None:
    """Pydantic's lax mode would read True as 1: a batch of one document, silently."""
    with pytest.raises(InvalidParameterError, match=rf"parameter '{parameter}': .*not a boolean"):
        _operator(**{parameter: True})


def test_block_size_over_the_tokenizers_limit_fails_at_parse(tmp_path: Path) -> None:
    tokenizer = train_bpe(tmp_path / "bpe", config={"model_max_length": 64})
    with pytest.raises(
        InvalidParameterError, match="'block_size' is 128, over the tokenizer's model_max_length 64"
    ):
        _operator(tokenizer=str(tokenizer.parent), packing=True, block_size=128)
    with pytest.raises(InvalidParameterError, match="'max_length' is 100"):
        _operator(tokenizer=str(tokenizer), max_length=100)
    assert _operator(tokenizer=str(tokenizer), max_length=64).settings.max_length == 64
    # a templated tokenizer is checked when the task runs, not at parse time
    assert _operator(tokenizer="{{ params.tok }}", packing=True, block_size=128)


def test_templated_fields() -> None:
    assert {"source", "destination", "tokenizer", "tokenizer_revision"} <= set(
        _operator().template_fields
    )
    assert json.dumps([t.name for t in _operator().settings.transforms]) == json.dumps(
        ["unicode_normalize", "clean_whitespace", "deduplicate"]
    )


class _TaskInstance:
    def __init__(self) -> None:
        self.pushed: dict[str, Any] = {}

    def xcom_push(self, key: str, value: Any) -> None:
        self.pushed[key] = value


def test_a_failed_run_keeps_what_it_got_through(tmp_path: Path) -> None:
    """The hook's ``*Failed`` leaves its partial result for FAIL lineage and the XCom document."""
    from llm_lineage.lineage.document import XCOM_KEY
    from llm_lineage.tokenization import TokenizationFailed

    source = write_text_parquet(tmp_path / "text" / "text.parquet", [("a", "short"), ("b", "text")])
    operator = _operator(
        source=str(source.parent),
        destination=str(tmp_path / "tokens"),
        tokenizer=str(train_bpe(tmp_path / "bpe")),
        transforms=[{"name": "min_length", "chars": 1000}],
    )
    ti = _TaskInstance()
    with pytest.raises(TokenizationFailed, match="empty corpus after transforms"):
        operator.execute({"ti": ti})  # type: ignore[typeddict-item]
    assert operator._run is None and operator._partial is not None
    assert operator._partial.documents_in == 2
    assert ti.pushed[XCOM_KEY]["eventType"] == "FAIL"
    lineage = operator.get_openlineage_facets_on_failure(None)
    assert [d.name for d in lineage.inputs] == [str(source)]
    assert lineage.outputs == []
    assert not (tmp_path / "tokens" / "tokens.parquet").exists()
