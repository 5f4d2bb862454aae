"""Tokenization settings (tokenization/settings.py): defaults, wrong values, tokenizer limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from llm_lineage.tokenization import (
    DEFAULT_TRANSFORMS,
    LoadedTokenizer,
    TokenizationSettings,
    load_tokenizer,
)
from tokenizers_fixtures import train_wordpiece


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
