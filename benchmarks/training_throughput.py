"""Training throughput: the engine (streamed Parquet, shuffle, checks, progress) against a bare loop.

Both train the same LoRA adapter on the same tiny GPT-2 and the same token blocks, in the same
run. The baseline holds every batch as a ready tensor in memory and only runs forward, backward
and the optimizer: the ceiling. The ratio engine/baseline is what streaming, collation, NaN and
vocabulary checks and progress cost (target: above 0.9, the model's work dominates). Each side
runs twice, alternating, and keeps its best: shared machines are noisy.

Usage: .venv/bin/python benchmarks/training_throughput.py [--blocks 1024] [--width 256]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

from llm_lineage.training import LoRASettings, TokenData, TrainingSettings, resolve_base_model
from llm_lineage.training.engine import train_adapter
from llm_lineage.training.tiny import build_tiny_model

BLOCK = 128
BATCH = 8
TEXT = "Lineage follows the documents, the tokens and the adapter they made. " * 50


def write_blocks(path: Path, blocks: int, vocabulary: int) -> Path:
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(1, vocabulary, (blocks, BLOCK), generator=generator).tolist()
    pq.write_table(pa.table({"input_ids": pa.array(ids, pa.list_(pa.int32()))}), path)
    return path


def baseline(base: Path, blocks: int, vocabulary: int) -> float:
    """Tokens per second of forward/backward/step on tensors already in memory."""
    torch.manual_seed(0)
    model = get_peft_model(
        AutoModelForCausalLM.from_pretrained(base),
        LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, task_type="CAUSAL_LM"),
    )
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=2e-4)
    generator = torch.Generator().manual_seed(0)
    batches = [
        torch.randint(1, vocabulary, (BATCH, BLOCK), generator=generator)
        for _ in range(blocks // BATCH)
    ]
    model.train()
    started = time.perf_counter()
    for ids in batches:
        model(input_ids=ids, attention_mask=torch.ones_like(ids), labels=ids).loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
    return len(batches) * BATCH * BLOCK / (time.perf_counter() - started)


def engine(base: Path, tokens: Path, out: Path) -> float:
    """Tokens per second of train_adapter's training loop."""
    out.mkdir()
    result = train_adapter(
        TokenData.open(tokens, tokens.name),
        resolve_base_model(base),
        out,
        LoRASettings(),
        TrainingSettings(batch_size=BATCH, learning_rate=2e-4, progress_interval=3600),
    )
    return result.tokens_per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=1024)
    parser.add_argument("--width", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        base = build_tiny_model(root / "base", [TEXT], positions=BLOCK, width=args.width)
        vocabulary = AutoModelForCausalLM.from_pretrained(base).config.vocab_size
        tokens = write_blocks(root / "tokens.parquet", args.blocks, vocabulary)
        warmup = write_blocks(root / "warmup.parquet", 64, vocabulary)
        engine(base, warmup, root / "warmup")  # first-call costs out of the comparison
        bare, ours = 0.0, 0.0
        for round_ in range(2):
            bare = max(bare, baseline(base, args.blocks, vocabulary))
            ours = max(ours, engine(base, tokens, root / f"run{round_}"))
        print(f"blocks {args.blocks} x {BLOCK} tokens, batch {BATCH}, width {args.width}")
        print(f"baseline (tensors in memory): {bare:,.0f} tokens/s")
        print(f"engine (streamed Parquet):    {ours:,.0f} tokens/s")
        print(f"ratio engine/baseline: {ours / bare:.2f}")


if __name__ == "__main__":
    main()
