"""A tiny GPT-2-shaped base model and its byte-level BPE tokenizer, built locally in seconds.

For trying things, examples, demos and tests on machines without a model hub: two layers,
random weights, 256 positions, a vocabulary trained on whatever text is given (any text
encodes: the alphabet is all 256 bytes). It learns, so losses fall, but it knows no language;
point ``base_model`` at a real model for real work.

Public API (also exported from ``llm_lineage.training``): :func:`tiny_base_model` builds one in a
folder, :func:`base_model_or_tiny` returns a configured base model or falls back to the tiny one.
Building needs the ``[lora]`` extra (torch, transformers, tokenizers); importing this module
does not.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

EOS = "<|endoftext|>"
#: Positions (context length) of the tiny model, and its tokenizer's ``model_max_length``: token
#: blocks for it (``block_size``, ``max_length``) must be no longer.
TINY_POSITIONS = 256
#: What :func:`tiny_base_model` writes; a folder missing any of them is built again.
TINY_MODEL_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def build_tiny_model(
    directory: Path,
    texts: Iterable[str],
    vocab_size: int = 512,
    positions: int = TINY_POSITIONS,
    layers: int = 2,
    width: int = 64,
    seed: int = 0,
) -> Path:
    """Write ``config.json``, ``model.safetensors`` and ``tokenizer.json`` into ``directory``."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, GPT2LMHeadModel

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer = Tokenizer(models.BPE())
    import transformers

    transformers.utils.logging.disable_progress_bar()
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    tokenizer.save(str(directory / "tokenizer.json"))
    eos_id = tokenizer.token_to_id(EOS)
    (directory / "tokenizer_config.json").write_text(
        json.dumps(
            {
                "tokenizer_class": "PreTrainedTokenizerFast",
                "eos_token": EOS,
                "bos_token": EOS,
                "model_max_length": positions,
            }
        ),
        encoding="utf-8",
    )
    config = GPT2Config(
        vocab_size=tokenizer.get_vocab_size(),
        n_positions=positions,
        n_embd=width,
        n_layer=layers,
        n_head=max(1, width // 32),
        bos_token_id=eos_id,
        eos_token_id=eos_id,
    )
    torch.manual_seed(seed)
    GPT2LMHeadModel(config).save_pretrained(str(directory))
    return directory


#: Text the tiny tokenizer learns its merges from when none is given: plain English prose.
DEFAULT_TEXTS = (
    "Lineage answers which documents, from which sources and authors, made a model. "
    "Every step of the path reports what it read, what it wrote and how: extraction turns "
    "documents into text, tokenization turns text into token blocks, and fine-tuning turns "
    "token blocks into a LoRA adapter for a base model. Catalogs draw the graph from the "
    "events, so governance teams can trace an adapter back to its sources, find datasets "
    "that nobody reads any more, and see what each training run cost.",
    "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. "
    "Numbers such as 2024, 42 and 3.14 appear in reports; dates like 2024-06-01 in notes.",
)


def tiny_base_model(folder: str | os.PathLike[str]) -> str:
    """Build the tiny base model in ``folder`` unless it is already there; return its path.

    The folder then holds ``config.json`` and ``model.safetensors`` (a GPT-2 with 2 layers,
    width 64 and :data:`TINY_POSITIONS` positions, random weights from a fixed seed) and
    ``tokenizer.json`` and ``tokenizer_config.json`` (byte-level BPE, a vocabulary of at most
    512, end-of-text ``<|endoftext|>``): everything ``TokenizationOperator(tokenizer=...)`` and
    ``LoRAFineTuningOperator(base_model=...)`` need, with no hub. Building takes a few seconds
    and needs the ``[lora]`` extra.

    For trying the provider only: the model knows no language.
    """
    path = Path(folder).expanduser()
    if not all((path / name).is_file() for name in TINY_MODEL_FILES):
        build_tiny_model(path, DEFAULT_TEXTS * 20)
    return str(path)


def base_model_or_tiny(base_model: str | None, folder: str | os.PathLike[str]) -> str:
    """``base_model`` when one is given (a local folder or hub id, returned unchanged), else
    :func:`tiny_base_model` built in ``folder``.

    For DAGs that should run anywhere, with no hub access, and still take a real model by
    configuration alone (e.g. from an empty-by-default ``base_model`` param).
    """
    if base_model:
        return base_model
    return tiny_base_model(folder)


#: The earlier name of :func:`base_model_or_tiny`, kept for DAGs that import it.
ensure_base_model = base_model_or_tiny
