"""Tokenization throughput: the engine (batched encode, streaming Parquet) against a baseline.

The baseline, measured in the same run on the same tokenizer and corpus, encodes one document
at a time with ``Tokenizer.encode``, as a naive loop would. Prints tokens per second of both and
their ratio (target: above 1, the engine's batches use every core of the Rust side).

Usage: .venv/bin/python benchmarks/tokenization_throughput.py [--documents 4000]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
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


def make_texts(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(WORDS) + str(rng.randint(0, 300)) for _ in range(rng.randint(200, 600)))
        for _ in range(count)
    ]


def train(texts: list[str], folder: Path) -> Path:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    trainer = trainers.BpeTrainer(
        vocab_size=2000, special_tokens=["<|endoftext|>"], show_progress=False
    )
    tokenizer.train_from_iterator(texts[:500], trainer)
    path = folder / "tokenizer.json"
    tokenizer.save(str(path))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=4000)
    args = parser.parse_args()
    texts = make_texts(args.documents)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        loaded = load_tokenizer(str(train(texts, folder)))
        source = folder / "text.parquet"
        pq.write_table(
            pa.table({"doc_id": [f"d{i}" for i in range(len(texts))], "text": texts}), source
        )
        settings = TokenizationSettings(
            transforms=(), packing=True, block_size=512, progress_interval=3600
        )
        started = time.perf_counter()
        result = tokenize_corpus(source, folder / "out", loaded, settings)
        engine_seconds = time.perf_counter() - started

        started = time.perf_counter()
        eos = loaded.tokenizer.token_to_id("<|endoftext|>")
        baseline_tokens = 0
        for text in pq.read_table(source).column("text").to_pylist():
            ids = [*loaded.tokenizer.encode(text, add_special_tokens=False).ids, eos]
            baseline_tokens += len(ids)
        baseline_seconds = time.perf_counter() - started
    engine_rate = result.document_tokens / engine_seconds
    baseline_rate = baseline_tokens / baseline_seconds
    print(f"documents {args.documents}, tokens {result.document_tokens}")
    print(f"engine    {engine_rate:12,.0f} tokens/s (read, encode_batch, pack, write Parquet)")
    print(f"baseline  {baseline_rate:12,.0f} tokens/s (encode one document at a time, no writing)")
    print(f"ratio engine/baseline = {engine_rate / baseline_rate:.2f}")


if __name__ == "__main__":
    main()
