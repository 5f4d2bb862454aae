"""LoRA training against a bare PEFT loop, and base-model fingerprints on a second run.

Training reuses ``training_throughput.py``: the same tiny GPT-2, LoRA settings and token
blocks; the baseline holds every batch in memory and only runs forward, backward and the
optimizer. Fingerprints: a fresh process hashes a model twice; the second time it may read no
weight bytes (``rchar`` of ``/proc/self/io`` counts every byte a read call returned).
"""

from __future__ import annotations

from pathlib import Path

from harness import Row, python_in_subprocess

FINGERPRINT = r"""
import json, sys
from pathlib import Path
from llm_lineage.training.base_model import resolve_base_model

def read_bytes():
    return int(dict(l.split(": ") for l in Path("/proc/self/io").read_text().splitlines())["rchar"])

folder = sys.argv[1]
results = []
for _ in range(2):
    before = read_bytes()
    info = resolve_base_model(folder)
    results.append({"read": read_bytes() - before, "fingerprint": info.fingerprint})
print(json.dumps(results))
"""


def lora_row(root: Path, blocks: int = 512, width: int = 256) -> Row:
    from training_throughput import BLOCK, TEXT, baseline, engine, write_blocks
    from transformers import AutoModelForCausalLM

    from llm_lineage.training.tiny import build_tiny_model

    base = build_tiny_model(root / "base", [TEXT], positions=BLOCK, width=width)
    vocabulary = AutoModelForCausalLM.from_pretrained(base).config.vocab_size
    tokens = write_blocks(root / "tokens.parquet", blocks, vocabulary)
    engine(base, write_blocks(root / "warmup.parquet", 64, vocabulary), root / "warmup")
    bare, ours = 0.0, 0.0
    for round_ in range(2):
        bare = max(bare, baseline(base, blocks, vocabulary))
        ours = max(ours, engine(base, tokens, root / f"run{round_}"))
    ratio = ours / bare
    return Row(
        "LoRA training vs a bare PEFT loop",
        f"{ours:,.0f} tok/s",
        f"{bare:,.0f} tok/s",
        ratio,
        ">= 0.95x",
        ratio >= 0.95,
        f"tiny GPT-2 width {width}, {blocks} blocks of {BLOCK}",
    )


def fingerprint_row(root: Path, megabytes: int = 256) -> Row:
    folder = root / "fingerprint-model"
    folder.mkdir()
    (folder / "config.json").write_text('{"model_type": "gpt2"}')
    with (folder / "model.safetensors").open("wb") as weights:
        for _ in range(megabytes):
            weights.write(bytes(range(256)) * 4096)
    first, second = python_in_subprocess(
        FINGERPRINT, str(folder), env={"LLM_LINEAGE_CACHE_DIR": str(root / "cache")}
    )
    same = first["fingerprint"] == second["fingerprint"]
    weights_mb = megabytes * 2**20
    return Row(
        f"base model fingerprint, 2nd run ({megabytes} MiB of weights)",
        f"{second['read'] / 2**20:.2f} MiB read",
        f"{first['read'] / 2**20:.0f} MiB read",
        second["read"] / first["read"],
        "no weight bytes, same fingerprint",
        second["read"] < weights_mb / 1000 and same,
        "1st run reads every weight byte once",
    )
