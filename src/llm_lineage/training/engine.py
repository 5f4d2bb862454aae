"""Train a LoRA adapter with PEFT on a token dataset: the one module of the package that needs torch.

A plain loop rather than ``transformers.Trainer``: it streams batches from Parquet, checks every
loss, tells out-of-memory from other errors, and keeps what the run got through in a result that
lineage reports whether the run completes or fails.
"""

from __future__ import annotations

import contextlib
import json
import math
import platform
import time
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, cast

import peft
import torch
import transformers
from peft import LoraConfig, get_peft_model
from peft.tuners.tuners_utils import check_target_module_exists
from peft.utils import TRANSFORMERS_MODELS_TO_LORA_TARGET_MODULES_MAPPING
from transformers import AutoModelForCausalLM, get_linear_schedule_with_warmup
from transformers.pytorch_utils import Conv1D

from llm_lineage.common.measure import Measure
from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.training import ADAPTER_WEIGHTS, METRICS_FILE
from llm_lineage.training.adapter_files import adapter_output, match_file_modes
from llm_lineage.training.data import DatasetError, TokenData
from llm_lineage.training.model import (
    BaseModelInfo,
    DeviceUnavailable,
    FailureKind,
    LossPoint,
    TrainingFailed,
    TrainingResult,
)
from llm_lineage.training.settings import LoRASettings, TrainingSettings

_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
_IGNORE = -100  # label value that transformers' causal-LM loss skips


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


def train_adapter(
    data: TokenData,
    base: BaseModelInfo,
    output_dir: Path,
    lora: LoRASettings,
    training: TrainingSettings,
    logger: LogLike | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> TrainingResult:
    """Train, then save the adapter (PEFT layout) and ``training_metrics.json`` in ``output_dir``.

    Raises TrainingFailed with the partial result; ``metadata`` goes into the metrics file
    (the hook puts the dataset's URI and version there, so the folder documents itself).
    """
    result = TrainingResult(sequences=data.sequences, libraries=library_versions())
    measure = Measure(clock=time.monotonic)
    try:
        _Run(data, base, lora, training, result, logger).train(output_dir, metadata or {})
    finally:
        measure.record(result)
        result.rows_read = list(data.rows_read)
        if result.device == "cuda":
            result.peak_device_memory_bytes = int(torch.cuda.max_memory_allocated())
    return result


def _is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


class _Run:
    """One training run's state; methods fail with TrainingFailed naming the cause."""

    def __init__(
        self,
        data: TokenData,
        base: BaseModelInfo,
        lora: LoRASettings,
        training: TrainingSettings,
        result: TrainingResult,
        logger: LogLike | None,
    ) -> None:
        self.data, self.base, self.lora, self.training = data, base, lora, training
        self.result = result
        self.log = logger

    def fail(self, kind: FailureKind, message: str) -> TrainingFailed:
        return TrainingFailed(message, self.result, kind)

    def train(self, output_dir: Path, metadata: Mapping[str, Any]) -> None:
        transformers.utils.logging.disable_progress_bar()
        try:
            device = resolve_device(self.training.device)
        except RuntimeError as error:
            raise self.fail(FailureKind.DEVICE, str(error)) from None
        self.result.device = device
        self.result.precision = resolve_precision(self.training.precision, device)
        self.result.device_count = torch.cuda.device_count() if device == "cuda" else 1
        self.result.device_name = (
            torch.cuda.get_device_name(0)
            if device == "cuda"
            else f"{platform.machine()} CPU ({torch.get_num_threads()} threads)"
        )
        transformers.set_seed(self.training.seed)
        model = self._peft_model(self._base_model(device))
        try:
            _Loop(self, model, device).run()
        except DatasetError as error:
            raise self.fail(FailureKind.DATASET, str(error)) from None
        except (RuntimeError, MemoryError) as error:
            if not _is_out_of_memory(error):
                raise
            raise self.fail(
                FailureKind.OUT_OF_MEMORY,
                f"out of memory on {device} at step {self.result.steps + 1} of "
                f"{self.result.planned_steps} (batch_size={self.training.batch_size}): lower "
                f"training.batch_size and raise training.gradient_accumulation_steps to keep "
                f"the effective batch ({type(error).__name__}: {str(error)[:300]})",
            ) from None
        finally:
            if device == "cuda":
                torch.cuda.empty_cache()
        self._save(model, output_dir, metadata)

    def _base_model(self, device: str) -> torch.nn.Module:
        base = self.base
        try:
            model: Any = AutoModelForCausalLM.from_pretrained(
                base.path, dtype=_DTYPES[self.result.precision or "fp32"], local_files_only=True
            )
        except Exception as error:
            raise self.fail(
                FailureKind.BASE_MODEL,
                f"base model {base.source} did not load from {base.path}: "
                f"{type(error).__name__}: {str(error)[:500]}",
            ) from None
        if getattr(model, "loss_type", "") is None:
            # transformers picks the loss by class name and knows no GPT2LMHeadModel, so every
            # forward would log "loss_type=None ... unrecognized" and fall back to the causal-LM
            # loss. Naming that loss is what the fallback does, minus the message.
            model.loss_type = "ForCausalLM"
        return cast(torch.nn.Module, model.to(device))

    def _lora_config(self, model: torch.nn.Module) -> LoraConfig:
        lora = self.lora
        targets = (
            list(lora.target_modules)
            if isinstance(lora.target_modules, tuple)
            else lora.target_modules
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

    def _peft_model(self, model: torch.nn.Module) -> Any:
        config = self._lora_config(model)
        try:
            with warnings.catch_warnings():
                # PeftModel.__init__ reads transformers' deprecated `is_gradient_checkpointing`
                # (as of peft 0.21); the FutureWarning is about peft's call, not ours.
                warnings.filterwarnings(
                    "ignore",
                    message="`is_gradient_checkpointing` is deprecated",
                    category=FutureWarning,
                )
                peft_model = get_peft_model(model, config)
        except (ValueError, TypeError, KeyError) as error:
            raise self.fail(
                FailureKind.ADAPTER,
                f"LoRA settings do not fit base model {self.base.source} "
                f"({self.base.model_type}): {error}; modules LoRA can adapt in this model: "
                f"{', '.join(adaptable_module_names(model)) or 'none'}",
            ) from None
        adapter = cast(LoraConfig, peft_model.peft_config["default"])
        adapter.base_model_name_or_path = (
            self.base.path if self.base.location.startswith("file:") else self.base.source
        )
        adapter.revision = self.base.resolved_revision or self.base.revision
        self.result.target_modules = tuple(sorted(adapter.target_modules or ()))
        trainable, total = peft_model.get_nb_trainable_parameters()
        self.result.trainable_parameters, self.result.total_parameters = (
            int(trainable),
            int(total),
        )
        return peft_model

    def _save(self, model: Any, output_dir: Path, metadata: Mapping[str, Any]) -> None:
        model.save_pretrained(str(output_dir))
        weights = output_dir / ADAPTER_WEIGHTS
        if not weights.is_file():
            raise self.fail(FailureKind.ADAPTER, f"PEFT wrote no {ADAPTER_WEIGHTS}")
        (output_dir / METRICS_FILE).write_text(
            json.dumps(self._metrics(metadata), indent=2, sort_keys=True), encoding="utf-8"
        )
        match_file_modes(output_dir, METRICS_FILE)
        self.result.output = adapter_output(output_dir)

    def _metrics(self, metadata: Mapping[str, Any]) -> dict[str, Any]:
        result = self.result
        return {
            **metadata,
            "base_model": {
                "source": self.base.source,
                "revision": self.base.resolved_revision or self.base.revision,
                "fingerprint": self.base.fingerprint,
            },
            "lora": self.lora.model_dump(mode="json"),
            "training": self.training.model_dump(mode="json"),
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


class _Loop:
    """The training loop of one run: micro-batches in, optimizer steps out, until the plan is done.

    ``run`` goes epoch after epoch; ``epoch`` feeds each micro-batch to ``forward`` (loss,
    backward, gradients summed) and calls ``step`` (one optimizer step on their mean) every
    ``gradient_accumulation_steps`` micro-batches, and once more for an epoch's shorter tail.
    """

    def __init__(self, run: _Run, model: Any, device: str) -> None:
        self.data, self.training, self.result = run.data, run.training, run.result
        self.fail, self.log = run.fail, run.log
        self.model, self.device = model, device
        training, result = self.training, self.result
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            self.params, lr=training.learning_rate, weight_decay=training.weight_decay
        )
        result.planned_steps = self.planned_steps()
        self.schedule = get_linear_schedule_with_warmup(
            self.optimizer, training.warmup_steps, result.planned_steps
        )
        dtype = _DTYPES[result.precision or "fp32"]
        self.scaler = torch.amp.GradScaler("cuda") if result.precision == "fp16" else None
        self.autocast: Callable[[], Any] = (
            (lambda: torch.autocast(device_type=device, dtype=dtype))
            if result.precision in ("bf16", "fp16")
            else contextlib.nullcontext
        )
        self.embeddings = model.get_input_embeddings().num_embeddings
        self.positions = _max_positions(model.config)
        self.progress = self.progress_reporter()
        self.loss_sum, self.accumulated = 0.0, 0
        self.started = 0.0

    def planned_steps(self) -> int:
        training = self.training
        if training.max_steps is not None:
            return training.max_steps
        micro = self.data.micro_batches_per_epoch(training.batch_size)
        return math.ceil(micro / training.gradient_accumulation_steps) * training.epochs

    def progress_reporter(self) -> ProgressReporter:
        """Progress lines in steps, with the last loss and the token throughput."""
        result = self.result
        return ProgressReporter(
            "Fine-tuning",
            result.planned_steps,
            "steps",
            self.log,
            self.training.progress_interval,
            detail=lambda: (
                f"loss {result.loss_last:.4f}, {result.tokens_per_second:,.0f} tokens/s"
                if result.losses
                else "no step yet"
            ),
        )

    def run(self) -> None:
        self.model.train()
        self.started = time.monotonic()
        epoch = 0
        while self.result.steps < self.result.planned_steps:
            self.epoch(epoch)
            epoch += 1
        self.progress.finish()

    def epoch(self, epoch: int) -> None:
        """One pass over the data, cut short when the planned steps are done."""
        training, result = self.training, self.result
        seen = result.sequences_seen
        for batch in self.data.batches(
            training.batch_size,
            training.seed,
            epoch,
            training.shuffle_buffer,
            vocabulary=self.embeddings,
            positions=self.positions,
        ):
            self.forward(batch)
            if self.accumulated == training.gradient_accumulation_steps:
                self.step()
                if result.steps >= result.planned_steps:
                    return
        if result.sequences_seen == seen:
            raise DatasetError(f"dataset {self.data.label} has no sequence of two or more tokens")
        if self.accumulated:  # the epoch's last, shorter accumulation
            self.step()

    def forward(self, batch: list[list[int]]) -> None:
        """One micro-batch: its loss (checked finite), backward, and the counts it adds."""
        inputs = _collate(batch, self.device)
        with self.autocast():
            loss = self.model(**inputs).loss
        value = self.finite(float(loss.detach().float().item()))
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
        self.loss_sum += value
        self.accumulated += 1
        self.result.sequences_seen += len(batch)
        self.result.tokens_seen += int(inputs["attention_mask"].sum())

    def finite(self, value: float) -> float:
        """``value`` when it is a finite loss; a NaN or infinite one fails the run, saying why."""
        if math.isfinite(value):
            return value
        result = self.result
        raise self.fail(
            FailureKind.NAN_LOSS,
            f"loss became {value} at step {result.steps + 1} of "
            f"{result.planned_steps} (last finite loss {result.loss_last}); lower "
            f"training.learning_rate (now {self.training.learning_rate}) or use "
            "precision='fp32'",
        )

    def step(self) -> None:
        """One optimizer step on the mean of the accumulated gradients; records its loss."""
        scaler, optimizer, result = self.scaler, self.optimizer, self.result
        if scaler is not None:
            scaler.unscale_(optimizer)
        for param in self.params:
            if param.grad is not None:
                param.grad.div_(self.accumulated)
        if self.training.max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.training.max_grad_norm)
        if scaler is not None:
            scaler.step(optimizer)
            scaler.update()
        else:
            optimizer.step()
        self.schedule.step()
        optimizer.zero_grad(set_to_none=True)
        result.steps += 1
        result.losses.append(LossPoint(result.steps, self.loss_sum / self.accumulated))
        self.loss_sum, self.accumulated = 0.0, 0
        result.train_seconds = time.monotonic() - self.started
        self.progress.advance()


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


def _all_conv1d(modules: list[Any]) -> bool:
    """PEFT's ``fan_in_fan_out``: transformers' Conv1D (GPT-2) stores its weight as (in, out),
    the transpose of ``nn.Linear``'s, and LoRA must know to multiply the other way round.
    """
    return bool(modules) and all(isinstance(m, Conv1D) for m in modules)


def _max_positions(config: Any) -> int | None:
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def _collate(batch: list[list[int]], device: str) -> dict[str, torch.Tensor]:
    """Right-padded ids, attention mask and labels (padding ignored by the loss)."""
    longest = max(len(s) for s in batch)
    ids = torch.zeros((len(batch), longest), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, sequence in enumerate(batch):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    labels = ids.masked_fill(mask == 0, _IGNORE)
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }
