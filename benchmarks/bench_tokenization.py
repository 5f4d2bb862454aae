"""Tokenization against a bare ``encode_batch`` loop and Hugging Face ``datasets.map``.

All three tokenize the same texts with the same ``tokenizer.json`` and append end-of-text;
ours also reads and writes Parquet, hashes the output and checks lengths. Memory: the peak
of a fresh process tokenizing N documents and 10N documents.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from harness import Row, best_seconds, python_in_subprocess, speed_row
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from llm_lineage.tokenization import TokenizationSettings, load_tokenizer, tokenize_corpus

WORDS = [
    "lineage",
    "model",
    "corpus",
    "token",
    "author",
    "document",
    "dataset",
    "catalog",
    "adapter",
    "river",
    "stone",
]
SETTINGS = {"transforms": (), "max_length": 100_000, "batch_size": 1000, "progress_interval": 3600}

MEMORY = r"""
import json, resource, sys
from pathlib import Path
from llm_lineage.tokenization import TokenizationSettings, load_tokenizer, tokenize_corpus
result = tokenize_corpus(Path(sys.argv[1]), Path(sys.argv[2]), load_tokenizer(sys.argv[3]),
    TokenizationSettings(transforms=(), max_length=100_000, batch_size=1000, progress_interval=3600))
print(json.dumps({"peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "tokens": result.document_tokens}))
"""


def make_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) + str(rng.randint(0, 300)) for _ in range(rng.randint(200, 600)))
        for _ in range(count)
    ]


def write_text(path: Path, texts: list[str]) -> Path:
    ids = [f"d{i}" for i in range(len(texts))]
    pq.write_table(pa.table({"doc_id": ids, "text": texts}), path)
    return path


def train(texts: list[str], folder: Path) -> Path:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<|endoftext|>"], show_progress=False
    )
    tokenizer.train_from_iterator(texts[:500], trainer)
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(folder / "tokenizer.json"))
    return folder / "tokenizer.json"


def bare_encode_batch(tokenizer: Tokenizer, texts: list[str]) -> int:
    eos = tokenizer.token_to_id("<|endoftext|>")
    total = 0
    for start in range(0, len(texts), 1000):
        for encoding in tokenizer.encode_batch(
            texts[start : start + 1000], add_special_tokens=False
        ):
            total += len([*encoding.ids, eos])
    return total


def datasets_map(tokenizer_file: Path, texts: list[str]) -> int:
    import datasets
    from transformers import PreTrainedTokenizerFast

    datasets.disable_progress_bars()
    fast = PreTrainedTokenizerFast(tokenizer_file=str(tokenizer_file), eos_token="<|endoftext|>")
    dataset = datasets.Dataset.from_dict({"text": texts})
    mapped = dataset.map(
        lambda batch: {
            "input_ids": [[*ids, fast.eos_token_id] for ids in fast(batch["text"])["input_ids"]]
        },
        batched=True,
        batch_size=1000,
        remove_columns=["text"],
        load_from_cache_file=False,
        keep_in_memory=True,
    )
    return len(mapped)


def rows(root: Path, documents: int = 20_000) -> list[Row]:
    texts = make_texts(documents)
    source = write_text(root / "text.parquet", texts)
    tokenizer_file = train(texts, root / "tokenizer")
    loaded = load_tokenizer(str(tokenizer_file))
    settings = TokenizationSettings(**SETTINGS)

    def ours() -> None:
        with tempfile.TemporaryDirectory() as out:
            tokenize_corpus(source, Path(out), loaded, settings)

    def bare() -> None:
        bare_encode_batch(loaded.tokenizer, pq.read_table(source).column("text").to_pylist())

    ours()
    ours_seconds, bare_seconds = best_seconds(ours), best_seconds(bare)
    found = [speed_row("tokenization vs bare encode_batch", ours_seconds, bare_seconds, 1.0)]
    try:
        mapped = best_seconds(lambda: datasets_map(tokenizer_file, texts), rounds=2)
        found.append(
            speed_row("tokenization vs datasets.map (fast tokenizer)", ours_seconds, mapped, 1.5)
        )
    except ImportError:
        found.append(
            Row(
                "tokenization vs datasets.map",
                "-",
                "-",
                0.0,
                ">= 1.5x",
                False,
                "pip install datasets",
            )
        )
    found.append(_memory(root, texts, tokenizer_file))
    return found


def _memory(root: Path, texts: list[str], tokenizer_file: Path) -> Row:
    small = write_text(root / "small.parquet", texts[: len(texts) // 10])
    large = write_text(root / "large.parquet", texts)
    peaks = [
        python_in_subprocess(
            MEMORY, str(path), str(root / f"out-{path.stem}"), str(tokenizer_file)
        )["peak"]
        for path in (small, large)
    ]
    ratio = peaks[1] / peaks[0]
    return Row(
        "tokenization peak memory, 10x the corpus vs 1x",
        f"{peaks[1] / 2**20:.0f} MiB",
        f"{peaks[0] / 2**20:.0f} MiB",
        ratio,
        "<= 1.3x",
        ratio <= 1.3,
        "whole process",
    )
