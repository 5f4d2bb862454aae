"""Test DAGs: data-parallel fine-tuning on two gloo processes, twice alike; and one to kill."""

from __future__ import annotations

import datetime
import os

from airflow.sdk import DAG

from llm_lineage.operators.lora import LoRAFineTuningOperator

TOKENS = os.environ.get("TEST_TOKENS", "/nonexistent")
OUT = os.environ.get("TEST_OUTPUT", "/nonexistent")
BASE = os.environ.get("TEST_BASE", "/nonexistent")
LORA = {"r": 4, "alpha": 8, "dropout": 0.1}
FAST = {"learning_rate": 3e-2, "batch_size": 4, "epochs": 2, "progress_interval": 0.5}
TWO = {"processes": 2, "backend": "gloo"}

with DAG("distributed_training", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    fine_tune = LoRAFineTuningOperator(
        task_id="fine_tune",
        dataset=TOKENS,
        base_model=BASE,
        output=f"{OUT}/adapter",
        lora=LORA,
        training=FAST,
        distributed=TWO,
        cost_per_hour=3.6,
    )
    again = LoRAFineTuningOperator(
        task_id="again",
        dataset=TOKENS,
        base_model=BASE,
        output=f"{OUT}/again",
        lora=LORA,
        training=FAST,
        distributed=TWO,
    )
    fine_tune >> again

with DAG("distributed_killed", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    LoRAFineTuningOperator(
        task_id="killed",
        dataset=TOKENS,
        base_model=BASE,
        output=f"{OUT}/killed",
        lora=LORA,
        training={**FAST, "max_steps": 5000, "epochs": 1},
        distributed=TWO,
    )
