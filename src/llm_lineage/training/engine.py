"""Train a LoRA adapter with PEFT on a token dataset, in this process.

A plain loop rather than ``transformers.Trainer``: it streams batches from Parquet, checks every
loss, tells out-of-memory from other errors, and keeps what the run got through in a result that
lineage reports whether the run completes or fails. The PEFT set-up is ``setup.py``, the loop
``loop.py``; ``distributed.py`` runs the same on several processes.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch
import transformers

from llm_lineage.common.measure import Measure
from llm_lineage.common.progress import LogLike
from llm_lineage.training.data import TokenData
from llm_lineage.training.loop import TrainingLoop
from llm_lineage.training.model import BaseModelInfo, TrainingResult
from llm_lineage.training.settings import LoRASettings, TrainingSettings
from llm_lineage.training.setup import (
    library_versions,
    load_base_model,
    metrics,
    peft_model,
    place,
    save_adapter,
)


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
        transformers.utils.logging.disable_progress_bar()
        device = place(result, training)
        transformers.set_seed(training.seed)
        model = peft_model(load_base_model(base, result, device), base, lora, result)
        TrainingLoop(data, training, result, model, device, logger).train()
        save_adapter(
            model, output_dir, metrics(metadata or {}, base, lora, training, result), result
        )
    finally:
        measure.record(result)
        result.rows_read = list(data.rows_read)
        if result.device == "cuda":
            result.peak_device_memory_bytes = int(torch.cuda.max_memory_allocated())
    return result
