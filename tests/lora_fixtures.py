"""A tiny GPT-2 base model and token Parquet for fine-tuning tests (built in about a second).

The token files mimic TokenizationOperator's packed output: a repetitive text cut into blocks,
so a few LoRA steps visibly lower the loss.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from tokenizers import Tokenizer

from llm_lineage.training.tiny import build_tiny_model
from tokenizers_fixtures import text_of, training_lines

POSITIONS = 64
BLOCK = 32


def tiny_base(directory: Path) -> Path:
    return build_tiny_model(directory, training_lines(), vocab_size=400, positions=POSITIONS)


def write_tokens(path: Path, rows: list[list[int]], column: str = "input_ids") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table({column: pa.array(rows, pa.list_(pa.int32()))}), path)
    return path


def repetitive_blocks(base: Path, blocks: int = 48, block: int = BLOCK) -> list[list[int]]:
    """``blocks`` blocks of ``block`` tokens of a text that repeats every 16 words."""
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    ids: list[int] = []
    offset = 0
    while len(ids) < blocks * block:
        ids += tokenizer.encode(text_of(16) + ". ").ids
        offset += 1
    return [ids[i * block : (i + 1) * block] for i in range(blocks)]
