"""Tiny tokenizers trained in the tests, and extraction-like text Parquet to feed them.

Training takes milliseconds and needs no network, so the tests own their tokenizers: the
words below appear often enough that each becomes one token, which makes token counts exact.

``tokenizer_dir``, ``bpe`` and ``wordpiece`` are fixtures (one per test module), visible to
every test module (``tests/conftest.py`` loads this module with ``pytest_plugins``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from tokenizers.processors import TemplateProcessing

from llm_lineage.extraction.tables import TEXT_SCHEMA
from llm_lineage.tokenization import LoadedTokenizer, load_tokenizer

#: Words that both trained tokenizers hold as single tokens (checked by the tests that rely on it).
WORDS = (
    "river",
    "stone",
    "forest",
    "cloud",
    "green",
    "quiet",
    "morning",
    "light",
    "window",
    "paper",
    "garden",
    "silver",
    "mountain",
    "harbor",
    "winter",
    "summer",
)

BPE_SPECIALS = ("<|endoftext|>", "<pad>")
WORDPIECE_SPECIALS = ("[UNK]", "[CLS]", "[SEP]", "[PAD]", "[MASK]")


#: Varied prose, so that the vocabularies grow to a few hundred tokens.
PROSE = """
Tokenizers split text into pieces that a language model can count, embed and predict.
Byte-level BPE merges the most frequent pairs of bytes until the vocabulary is full, while
WordPiece prefers merges that raise the likelihood of the training corpus. Both need a small
alphabet to start from, special tokens that mark the end of a document or separate two
sentences, and a normalizer that decides whether accents, case and compatibility characters
survive. Governance teams ask which tokenizer produced a dataset, at which version, with which
vocabulary; engineers ask how long the sequences are and how many tokens were thrown away.
Every choice changes what the adapter learns: deduplication removes repeated boilerplate,
length filters drop empty pages and enormous logs, and packing joins documents into blocks.
The harbor master counted twelve boats at dawn; by noon the fog lifted over the jagged
cliffs, and the children ran along the beach collecting shells, driftwood and bright glass.
"""


def training_lines() -> list[str]:
    """A few hundred short sentences built from WORDS, with some prose, punctuation, accents."""
    lines = PROSE.strip().splitlines() * 3
    for i in range(300):
        words = [WORDS[(i * 7 + j * 3) % len(WORDS)] for j in range(6)]
        lines.append(" ".join(words) + (", café." if i % 5 == 0 else "."))
    return lines


def text_of(count: int, offset: int = 0) -> str:
    """``count`` words from WORDS separated by spaces: ``count`` tokens for both tokenizers."""
    return " ".join(WORDS[(offset + i) % len(WORDS)] for i in range(count))


def _save(tokenizer: Tokenizer, directory: Path, config: dict[str, Any] | None) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tokenizer.json"
    tokenizer.save(str(path))
    if config is not None:
        (directory / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")
    return path


def train_bpe(
    directory: Path,
    config: dict[str, Any] | None = None,
    specials: Sequence[str] = BPE_SPECIALS,
) -> Path:
    """A byte-level BPE (GPT-2 style) with an NFC normalizer; returns its tokenizer.json."""
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=list(specials),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(training_lines(), trainer)
    tokenizer.add_tokens(["riverbank"])  # an added token that is not special
    return _save(tokenizer, directory, config)


def train_wordpiece(
    directory: Path,
    config: dict[str, Any] | None = None,
    specials: Sequence[str] = WORDPIECE_SPECIALS,
    truncate: int | None = None,
) -> Path:
    """A BERT-style WordPiece; its post-processor adds [CLS]/[SEP] unless told not to.

    ``truncate`` saves the tokenizer with truncation on, as some hub tokenizers are.
    """
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.Sequence(
        [normalizers.NFD(), normalizers.Lowercase(), normalizers.StripAccents()]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(
        vocab_size=300, special_tokens=list(specials), show_progress=False
    )
    tokenizer.train_from_iterator(training_lines(), trainer)
    if "[CLS]" in specials and "[SEP]" in specials:
        tokenizer.post_processor = TemplateProcessing(
            single="[CLS] $A [SEP]",
            special_tokens=[
                ("[CLS]", tokenizer.token_to_id("[CLS]")),
                ("[SEP]", tokenizer.token_to_id("[SEP]")),
            ],
        )
    if truncate is not None:
        tokenizer.enable_truncation(max_length=truncate)
    return _save(tokenizer, directory, config)


def write_text_parquet(path: Path, documents: Iterable[tuple[str, str]]) -> Path:
    """An extraction-like text.parquet (TEXT_SCHEMA) holding (doc_id, text) documents."""
    rows = [
        {
            "doc_id": doc_id,
            "source_uri": f"file:///corpus/{doc_id}.txt",
            "relative_path": f"{doc_id}.txt",
            "format": "text",
            "text": text,
        }
        for doc_id, text in documents
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=TEXT_SCHEMA), path)
    return path


@pytest.fixture(name="tokenizer_dir", scope="module")
def tokenizer_dir_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with ``bpe/`` (no tokenizer_config.json) and ``wordpiece/`` (max length 64)."""
    root = tmp_path_factory.mktemp("tokenizers")
    train_bpe(root / "bpe")
    train_wordpiece(root / "wordpiece", config={"model_max_length": 64, "eos_token": "[SEP]"})
    return root


@pytest.fixture(name="bpe", scope="module")
def bpe_fixture(tokenizer_dir: Path) -> LoadedTokenizer:
    return load_tokenizer(str(tokenizer_dir / "bpe" / "tokenizer.json"))


@pytest.fixture(name="wordpiece", scope="module")
def wordpiece_fixture(tokenizer_dir: Path) -> LoadedTokenizer:
    """The WordPiece with model_max_length=64 and eos [SEP], loaded from its folder."""
    loaded = load_tokenizer(str(tokenizer_dir / "wordpiece"))
    for offset in range(16):  # exact token counts rely on one token per word
        ids = loaded.tokenizer.encode(text_of(24, offset), add_special_tokens=False).ids
        assert len(ids) == 24
    return loaded
