"""PEFT set-up of a run: the device and precision, the base model, the LoRA wrapping, the save.

Shared by the one-process engine (``engine.py``) and each rank of a data-parallel run
(``worker.py``); every function that can fail raises TrainingFailed naming the cause, with the
run's result so far.
"""

from __future__ import annotations

import json
import platform
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from peft.tuners.tuners_utils import check_target_module_exists
from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
from transformers import AutoModelForCausalLM
from transformers.pytorch_utils import Conv1D

from llm_lineage.training import ADAPTER_WEIGHTS, METRICS_FILE
from llm_lineage.training.adapter_files import adapter_output, match_file_modes
from llm_lineage.training.model import (
    BaseModelInfo,
    DeviceUnavailable,
    FailureKind,
    TrainingFailed,
    TrainingResult,
)
from llm_lineage.training.settings import LoRASettings, TrainingSettings

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


def library_versions() -> dict[str, str]:
    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "peft": peft.__version__,
    }


def resolve_device(requested: str) -> str:
    if requested == "cuda" and not torch.cuda.is_available():
        raise DeviceUnavailable("device='cuda' but no CUDA device is visible to this worker")
    if requested == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return requested


def resolve_precision(requested: str, device: str) -> str:
    """``auto``: bf16 on GPUs that have it, else fp16 on GPUs; fp32 on CPU."""
    if requested != "auto":
        return requested
    if device == "cuda":
        return "bf16" if torch.cuda.is_bf16_supported() else "fp16"
    return "fp32"


def place(result: TrainingResult, training: TrainingSettings, index: int | None = None) -> str:
    """Resolve the device (``cuda:<index>`` for one rank's GPU) and precision onto ``result``."""
    try:
        device = resolve_device(training.device)
    except RuntimeError as error:
        raise TrainingFailed(str(error), result, FailureKind.DEVICE) from None
    result.device = device
    result.precision = resolve_precision(training.precision, device)
    if device == "cuda":
        result.device_count = torch.cuda.device_count() if index is None else 1
        result.device_name = torch.cuda.get_device_name(index or 0)
        return device if index is None else f"cuda:{index}"
    result.device_count = 1
    result.device_name = f"{platform.machine()} CPU ({torch.get_num_threads()} threads)"
    return device


def load_base_model(base: BaseModelInfo, result: TrainingResult, device: str) -> torch.nn.Module:
    try:
        model: Any = AutoModelForCausalLM.from_pretrained(
            base.path, dtype=DTYPES[result.precision or "fp32"], local_files_only=True
        )
    except Exception as error:
        raise TrainingFailed(
            f"base model {base.source} did not load from {base.path}: "
            f"{type(error).__name__}: {str(error)[:500]}",
            result,
            FailureKind.BASE_MODEL,
        ) from None
    if getattr(model, "loss_type", "") is None:
        # transformers picks the loss by class name and knows no GPT2LMHeadModel, so every
        # forward would log "loss_type=None ... unrecognized" and fall back to the causal-LM
        # loss. Naming that loss is what the fallback does, minus the message.
        model.loss_type = "ForCausalLM"
    return cast(torch.nn.Module, model.to(device))


def lora_config(model: torch.nn.Module, lora: LoRASettings) -> LoraConfig:
    targets = (
        list(lora.target_modules) if isinstance(lora.target_modules, tuple) else lora.target_modules
    )
    return LoraConfig(
        r=lora.r,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules=targets,
        bias=lora.bias,
        task_type=lora.task_type,
        fan_in_fan_out=_all_conv1d(_adapted_modules(model, targets)),
    )


def peft_model(
    model: torch.nn.Module, base: BaseModelInfo, lora: LoRASettings, result: TrainingResult
) -> Any:
    """The base model wrapped by PEFT; fills the result's target modules and parameter counts."""
    config = lora_config(model, lora)
    try:
        with warnings.catch_warnings():
            # PeftModel.__init__ reads transformers' deprecated `is_gradient_checkpointing`
            # (as of peft 0.21); the FutureWarning is about peft's call, not ours.
            warnings.filterwarnings(
                "ignore",
                message="`is_gradient_checkpointing` is deprecated",
                category=FutureWarning,
            )
            wrapped = get_peft_model(model, config)
    except (ValueError, TypeError, KeyError) as error:
        raise TrainingFailed(
            f"LoRA settings do not fit base model {base.source} ({base.model_type}): {error}; "
            "modules LoRA can adapt in this model: "
            f"{', '.join(adaptable_module_names(model)) or 'none'}",
            result,
            FailureKind.ADAPTER,
        ) from None
    adapter = cast(LoraConfig, wrapped.peft_config["default"])
    adapter.base_model_name_or_path = (
        base.path if base.location.startswith("file:") else base.source
    )
    adapter.revision = base.resolved_revision or base.revision
    result.target_modules = tuple(sorted(adapter.target_modules or ()))
    trainable, total = wrapped.get_nb_trainable_parameters()
    result.trainable_parameters, result.total_parameters = int(trainable), int(total)
    return wrapped


def save_adapter(
    model: Any,
    output_dir: Path,
    metrics: Mapping[str, Any],
    result: TrainingResult,
) -> None:
    """PEFT's layout plus ``training_metrics.json``; ``result.output`` describes the files."""
    model.save_pretrained(str(output_dir))
    if not (output_dir / ADAPTER_WEIGHTS).is_file():
        raise TrainingFailed(f"PEFT wrote no {ADAPTER_WEIGHTS}", result, FailureKind.ADAPTER)
    (output_dir / METRICS_FILE).write_text(
        json.dumps(metrics, indent=2, sort_keys=True), encoding="utf-8"
    )
    match_file_modes(output_dir, METRICS_FILE)
    result.output = adapter_output(output_dir)


def metrics(
    metadata: Mapping[str, Any],
    base: BaseModelInfo,
    lora: LoRASettings,
    training: TrainingSettings,
    result: TrainingResult,
) -> dict[str, Any]:
    """What ``training_metrics.json`` holds: the inputs, the settings, what the run did."""
    return {
        **metadata,
        "base_model": {
            "source": base.source,
            "revision": base.resolved_revision or base.revision,
            "fingerprint": base.fingerprint,
        },
        "lora": lora.model_dump(mode="json"),
        "training": training.model_dump(mode="json"),
        "steps": result.steps,
        "sequences_seen": result.sequences_seen,
        "tokens_seen": result.tokens_seen,
        "losses": [[p.step, p.loss] for p in result.losses],
        "device": result.device,
        "precision": result.precision,
        "trainable_parameters": result.trainable_parameters,
        "total_parameters": result.total_parameters,
        "libraries": result.libraries,
    }


def adaptable_module_names(model: torch.nn.Module) -> list[str]:
    """The names ``target_modules`` can take for this model: the last part of the name of every
    layer LoRA knows how to wrap (linear, Conv1D, embedding, convolution), each once, sorted."""
    kinds = (torch.nn.Linear, Conv1D, torch.nn.Embedding, torch.nn.Conv1d, torch.nn.Conv2d)
    return sorted(
        {
            name.rsplit(".", 1)[-1]
            for name, m in model.named_modules()
            if name and isinstance(m, kinds)
        }
    )


def _adapted_modules(model: torch.nn.Module, targets: list[str] | str | None) -> list[Any]:
    """The modules PEFT will wrap, chosen as PEFT chooses them, before it wraps them.

    None: PEFT's default names for the model type; ``"all-linear"``: every linear or Conv1D
    layer but the output head; else the modules whose names match, as PEFT matches them.
    """
    if targets == "all-linear":
        head = getattr(model, "get_output_embeddings", lambda: None)()
        return [
            m for m in model.modules() if isinstance(m, (torch.nn.Linear, Conv1D)) and m is not head
        ]
    model_type = getattr(getattr(model, "config", None), "model_type", None)
    default = TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING.get(model_type or "", ())
    names = targets if targets is not None else list(default)
    if not names:
        return []
    probe = LoraConfig(target_modules=names)
    return [m for name, m in model.named_modules() if check_target_module_exists(probe, name)]


def _all_conv1d(modules: list[Any]) -> bool:
    """PEFT's ``fan_in_fan_out``: transformers' Conv1D (GPT-2) stores its weight as (in, out),
    the transpose of ``nn.Linear``'s, and LoRA must know to multiply the other way round.
    """
    return bool(modules) and all(isinstance(m, Conv1D) for m in modules)
