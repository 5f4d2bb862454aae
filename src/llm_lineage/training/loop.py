"""The training loop: micro-batches in, optimizer steps out, until the plan is done.

``TrainingLoop`` is given what it works on (data, settings, result, model, device) rather than
reading it off the run that set the model up; ``worker.py``'s ``ShardedLoop`` changes only which
micro-batches a process sees and how their loss is weighed.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from typing import Any

import torch
from transformers import get_linear_schedule_with_warmup

from llm_lineage.common.progress import LogLike, ProgressReporter
from llm_lineage.training.data import DatasetError, TokenData
from llm_lineage.training.model import FailureKind, LossPoint, TrainingFailed, TrainingResult
from llm_lineage.training.settings import TrainingSettings
from llm_lineage.training.setup import DTYPES

IGNORE = -100  # label value that transformers' causal-LM loss skips


class TrainingLoop:
    """``train`` runs epoch after epoch and turns errors into TrainingFailed naming the cause.

    ``epoch`` feeds each micro-batch to ``forward`` (loss, backward, gradients summed) and calls
    ``step`` (one optimizer step on their mean) every ``gradient_accumulation_steps``
    micro-batches, and once more for an epoch's shorter tail.
    """

    def __init__(
        self,
        data: TokenData,
        training: TrainingSettings,
        result: TrainingResult,
        model: Any,
        device: str,
        logger: LogLike | None = None,
    ) -> None:
        self.data, self.training, self.result, self.log = data, training, result, logger
        self.model, self.device = model, device
        self.params = [p for p in model.parameters() if p.requires_grad]
        self.optimizer = torch.optim.AdamW(
            self.params, lr=training.learning_rate, weight_decay=training.weight_decay
        )
        result.planned_steps = self.planned_steps()
        self.schedule = get_linear_schedule_with_warmup(
            self.optimizer, training.warmup_steps, result.planned_steps
        )
        dtype = DTYPES[result.precision or "fp32"]
        self.scaler = torch.amp.GradScaler("cuda") if result.precision == "fp16" else None
        kind = device.split(":")[0]
        self.autocast: Callable[[], Any] = (
            (lambda: torch.autocast(device_type=kind, dtype=dtype))
            if result.precision in ("bf16", "fp16")
            else contextlib.nullcontext
        )
        unwrapped = getattr(model, "module", model)  # DistributedDataParallel wraps the model
        self.embeddings = unwrapped.get_input_embeddings().num_embeddings
        self.positions = max_positions(unwrapped.config)
        self.progress = self.progress_reporter()
        self.loss_sum, self.accumulated, self.epoch_sequences = 0.0, 0, 0
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

    def train(self) -> None:
        """``run``, with a dataset error or running out of memory failing the run, saying so."""
        result = self.result
        try:
            self.run()
        except DatasetError as error:
            raise TrainingFailed(str(error), result, FailureKind.DATASET) from None
        except (RuntimeError, MemoryError) as error:
            if not is_out_of_memory(error):
                raise
            raise TrainingFailed(
                f"out of memory on {self.device} at step {result.steps + 1} of "
                f"{result.planned_steps} (batch_size={self.training.batch_size}): lower "
                f"training.batch_size and raise training.gradient_accumulation_steps to keep "
                f"the effective batch ({type(error).__name__}: {str(error)[:300]})",
                result,
                FailureKind.OUT_OF_MEMORY,
            ) from None
        finally:
            if self.device.startswith("cuda"):
                torch.cuda.empty_cache()

    def run(self) -> None:
        self.model.train()
        self.started = time.monotonic()
        epoch = 0
        while self.result.steps < self.result.planned_steps:
            self.epoch(epoch)
            epoch += 1
        self.progress.finish()

    def micro_batches(self, epoch: int) -> Iterator[Any]:
        training = self.training
        return self.data.batches(
            training.batch_size,
            training.seed,
            epoch,
            training.shuffle_buffer,
            vocabulary=self.embeddings,
            positions=self.positions,
        )

    def epoch(self, epoch: int) -> None:
        """One pass over the data, cut short when the planned steps are done."""
        training, result = self.training, self.result
        self.epoch_sequences = 0
        for batch in self.micro_batches(epoch):
            self.forward(batch)
            if self.accumulated == training.gradient_accumulation_steps:
                self.step()
                if result.steps >= result.planned_steps:
                    return
        if not self.epoch_sequences:
            raise DatasetError(f"dataset {self.data.label} has no sequence of two or more tokens")
        if self.accumulated:  # the epoch's last, shorter accumulation
            self.step()

    def forward(self, batch: Any) -> None:
        """One micro-batch (a list of sequences): its loss (checked finite), backward, counts."""
        inputs = collate(batch, self.device)
        with self.autocast():
            loss = self.model(**inputs).loss
        value = self.finite(float(loss.detach().float().item()))
        (self.scaler.scale(loss) if self.scaler is not None else loss).backward()
        self.loss_sum += value
        self.accumulated += 1
        self.epoch_sequences += len(batch)
        self.result.sequences_seen += len(batch)
        self.result.tokens_seen += int(inputs["attention_mask"].sum())

    def finite(self, value: float) -> float:
        """``value`` when it is a finite loss; a NaN or infinite one fails the run, saying why."""
        if math.isfinite(value):
            return value
        result = self.result
        raise TrainingFailed(
            f"loss became {value} at step {result.steps + 1} of "
            f"{result.planned_steps} (last finite loss {result.loss_last}); lower "
            f"training.learning_rate (now {self.training.learning_rate}) or use "
            "precision='fp32'",
            result,
            FailureKind.NAN_LOSS,
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


def is_out_of_memory(error: BaseException) -> bool:
    if isinstance(error, (torch.OutOfMemoryError, MemoryError)):
        return True
    text = str(error).lower()
    return isinstance(error, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )


def max_positions(config: Any) -> int | None:
    for name in ("max_position_embeddings", "n_positions"):
        value = getattr(config, name, None)
        if isinstance(value, int) and value > 0:
            return value
    return None


def collate(batch: list[list[int]], device: str) -> dict[str, torch.Tensor]:
    """Right-padded ids, attention mask and labels (padding ignored by the loss)."""
    longest = max(len(s) for s in batch)
    ids = torch.zeros((len(batch), longest), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for row, sequence in enumerate(batch):
        ids[row, : len(sequence)] = torch.tensor(sequence, dtype=torch.long)
        mask[row, : len(sequence)] = 1
    labels = ids.masked_fill(mask == 0, IGNORE)
    return {
        "input_ids": ids.to(device),
        "attention_mask": mask.to(device),
        "labels": labels.to(device),
    }
