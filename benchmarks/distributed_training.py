"""Data-parallel LoRA training (gloo) at 1 and 2 processes against a bare ``torchrun`` DDP loop.

Ours is ``train_distributed`` (``training/distributed.py``): spawned ranks, a FileStore
rendezvous, streamed Parquet dealt round-robin, the global loss all-reduced each micro-batch,
rank 0 saving. The baseline is what a user would write for ``torchrun --standalone``: each rank
holds its slice of the batches as ready tensors and runs DDP forward, backward and AdamW. Both
train the same tiny GPT-2 with the same LoRA settings, batch and blocks, each rank with the
task's threads shared out (torchrun sets ``OMP_NUM_THREADS=1`` with more than one process).
Tokens per second are all ranks' tokens over the slowest rank's training time (process start
and model loading are left out on both sides). Each side runs ``rounds`` times, alternating;
best kept.

Usage: .venv/bin/python benchmarks/distributed_training.py [--blocks 256] [--width 128]
[--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness import Row, python_in_subprocess

BARE = r"""
import json, os, sys, time
import torch, torch.distributed as dist
from peft import LoraConfig, get_peft_model
from torch.nn.parallel import DistributedDataParallel
from transformers import AutoModelForCausalLM

base, blocks, vocabulary, block, batch = sys.argv[1], *map(int, sys.argv[2:6])
dist.init_process_group("gloo")
rank, world = dist.get_rank(), dist.get_world_size()
torch.set_num_threads(int(sys.argv[6]))
torch.manual_seed(0)
model = get_peft_model(
    AutoModelForCausalLM.from_pretrained(base),
    LoraConfig(r=8, lora_alpha=16, lora_dropout=0.05, task_type="CAUSAL_LM"),
)
ddp = DistributedDataParallel(model)
params = [p for p in model.parameters() if p.requires_grad]
optimizer = torch.optim.AdamW(params, lr=2e-4)
ids = torch.randint(1, vocabulary, (blocks, block), generator=torch.Generator().manual_seed(0))
mine = ids[rank::world]
batches = [mine[i : i + batch] for i in range(0, len(mine), batch)]
ddp.train()
started = time.monotonic()
for x in batches:
    ddp(input_ids=x, attention_mask=torch.ones_like(x), labels=x).loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
took = torch.tensor([time.monotonic() - started])
tokens = torch.tensor([float(sum(x.numel() for x in batches))])
dist.all_reduce(took, op=dist.ReduceOp.MAX)
dist.all_reduce(tokens)
if rank == 0:
    print(json.dumps({"tokens_per_second": float(tokens / took)}))
dist.destroy_process_group()
"""

OURS = r"""
import json, sys
from pathlib import Path
from llm_lineage.training import (
    DistributedSettings, LoRASettings, TokenData, TrainingSettings, resolve_base_model,
)
from llm_lineage.training.distributed import train_distributed

base, tokens, out, processes, batch = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), *map(
    int, sys.argv[4:6]
)
(out / "adapter").mkdir(parents=True)
(out / "work").mkdir()
result = train_distributed(
    TokenData.open(tokens, tokens.name),
    resolve_base_model(base),
    out / "adapter",
    LoRASettings(),
    TrainingSettings(batch_size=batch, learning_rate=2e-4, progress_interval=3600),
    DistributedSettings(processes=processes, backend="gloo"),
    out / "work",
)
print(json.dumps({"tokens_per_second": result.tokens_per_second}))
"""


def bare(root: Path, base: Path, blocks: int, vocabulary: int, processes: int) -> float:
    """Tokens per second of the bare loop under ``torchrun --standalone``."""
    script = root / "bare_ddp.py"
    script.write_text(BARE)
    threads = max(1, len(os.sched_getaffinity(0)) // processes)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc-per-node={processes}",
            str(script),
            *map(str, (base, blocks, vocabulary, BLOCK, BATCH, threads)),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"torchrun failed:\n{done.stderr[-3000:]}")
    return float(json.loads(done.stdout.strip().splitlines()[-1])["tokens_per_second"])


def ours(root: Path, base: Path, tokens: Path, processes: int, name: str) -> float:
    found = python_in_subprocess(
        OURS, str(base), str(tokens), str(root / name), str(processes), str(BATCH)
    )
    return float(found["tokens_per_second"])


def rows(root: Path, blocks: int = 256, width: int = 128, rounds: int = 2) -> list[Row]:
    from training_throughput import TEXT, write_blocks
    from transformers import AutoModelForCausalLM

    from llm_lineage.training.tiny import build_tiny_model

    base = build_tiny_model(root / "base", [TEXT], positions=BLOCK, width=width)
    vocabulary = AutoModelForCausalLM.from_pretrained(base).config.vocab_size
    tokens = write_blocks(root / "tokens.parquet", blocks, vocabulary)
    found, speeds = [], {}
    for processes in (1, 2):
        best_bare, best_ours = 0.0, 0.0
        for round_ in range(rounds):
            best_bare = max(best_bare, bare(root, base, blocks, vocabulary, processes))
            best_ours = max(
                best_ours, ours(root, base, tokens, processes, f"p{processes}r{round_}")
            )
        speeds[processes] = (best_ours, best_bare)
        ratio = best_ours / best_bare
        found.append(
            Row(
                f"distributed LoRA training, {processes} process(es), gloo, vs bare torchrun DDP",
                f"{best_ours:,.0f} tok/s",
                f"{best_bare:,.0f} tok/s",
                ratio,
                ">= 0.8x",
                ratio >= 0.8,
                f"tiny GPT-2 width {width}, {blocks} blocks of {BLOCK}, batch {BATCH} per rank"
                + (
                    f"; 2 vs 1 process: ours {speeds[2][0] / speeds[1][0]:.2f}x, "
                    f"torchrun {speeds[2][1] / speeds[1][1]:.2f}x"
                    if processes == 2
                    else ""
                ),
            )
        )
    return found


BLOCK = 128
BATCH = 8


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=256)
    parser.add_argument("--width", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for row in rows(Path(folder), args.blocks, args.width, args.rounds):
            print(row)


if __name__ == "__main__":
    main()
