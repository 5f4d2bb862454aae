"""LoRA fine-tuning engine. Settings, results and base-model resolution import without torch;
``llm_lineage.training.engine`` (torch, transformers, peft) comes with the ``[lora]`` extra.
"""

from __future__ import annotations

from llm_lineage.training.base_model import (
    BaseModelError,
    base_model_location,
    is_hub_id,
    resolve_base_model,
)
from llm_lineage.training.data import INPUT_IDS, DatasetError, TokenData
from llm_lineage.training.model import (
    AdapterOutput,
    BaseModelInfo,
    FailureKind,
    FileDigest,
    LossPoint,
    TrainingFailed,
    TrainingResult,
)
from llm_lineage.training.settings import LoRASettings, TrainingSettings

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
METRICS_FILE = "training_metrics.json"
#: Files a run writes into the adapter folder (PEFT also writes a README.md model card).
ADAPTER_FILES = (ADAPTER_WEIGHTS, ADAPTER_CONFIG, METRICS_FILE, "README.md")

__all__ = [
    "ADAPTER_CONFIG",
    "ADAPTER_FILES",
    "ADAPTER_WEIGHTS",
    "INPUT_IDS",
    "METRICS_FILE",
    "AdapterOutput",
    "BaseModelError",
    "BaseModelInfo",
    "DatasetError",
    "FailureKind",
    "FileDigest",
    "LoRASettings",
    "LossPoint",
    "TokenData",
    "TrainingFailed",
    "TrainingResult",
    "TrainingSettings",
    "base_model_location",
    "is_hub_id",
    "resolve_base_model",
]
