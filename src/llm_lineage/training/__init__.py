"""LoRA fine-tuning engine. Settings, results and base-model resolution import without torch;
``llm_lineage.training.engine`` (torch, transformers, peft) comes with the ``[lora]`` extra.
"""

from __future__ import annotations

from llm_lineage.training.base_model import (
    BaseModelError,
    base_model_location,
    is_hub_id,
    resolve_base_model,
    resolve_local_copy,
)
from llm_lineage.training.data import INPUT_IDS, DatasetError, TokenData
from llm_lineage.training.model import (
    AdapterOutput,
    BaseModelInfo,
    FailureKind,
    FileDigest,
    LossPoint,
    RankResult,
    TrainingFailed,
    TrainingResult,
)
from llm_lineage.training.settings import DistributedSettings, LoRASettings, TrainingSettings
from llm_lineage.training.tiny import TINY_POSITIONS, base_model_or_tiny, tiny_base_model

ADAPTER_WEIGHTS = "adapter_model.safetensors"
ADAPTER_CONFIG = "adapter_config.json"
METRICS_FILE = "training_metrics.json"
#: The model card: PEFT writes an empty template, which the hook replaces with the lineage.
MODEL_CARD = "README.md"
#: Files a run writes into the adapter folder.
ADAPTER_FILES = (ADAPTER_WEIGHTS, ADAPTER_CONFIG, METRICS_FILE, MODEL_CARD)

__all__ = [
    "ADAPTER_CONFIG",
    "ADAPTER_FILES",
    "ADAPTER_WEIGHTS",
    "INPUT_IDS",
    "METRICS_FILE",
    "MODEL_CARD",
    "TINY_POSITIONS",
    "AdapterOutput",
    "BaseModelError",
    "BaseModelInfo",
    "DatasetError",
    "DistributedSettings",
    "FailureKind",
    "FileDigest",
    "LoRASettings",
    "LossPoint",
    "RankResult",
    "TokenData",
    "TrainingFailed",
    "TrainingResult",
    "TrainingSettings",
    "base_model_location",
    "base_model_or_tiny",
    "is_hub_id",
    "resolve_base_model",
    "resolve_local_copy",
    "tiny_base_model",
]
