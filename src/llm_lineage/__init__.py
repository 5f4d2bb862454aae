"""Airflow provider: document extraction, tokenization and LoRA fine-tuning with OpenLineage lineage."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
