"""Provider metadata read by Airflow's ProvidersManager (``airflow providers list``)."""

from __future__ import annotations

from typing import Any

from llm_lineage import __version__


def get_provider_info() -> dict[str, Any]:
    """Return the provider description that the ``apache_airflow_provider`` entry point names."""
    return {
        "package-name": "airflow-provider-llm-lineage",
        "name": "LLM Lineage",
        "description": (
            "Document extraction, tokenization and LoRA fine-tuning operators that report "
            "every step as OpenLineage events."
        ),
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "LLM Lineage",
                "external-doc-url": "https://openlineage.io/",
                "tags": ["software"],
            }
        ],
        "hooks": [
            {
                "integration-name": "LLM Lineage",
                "python-modules": [
                    "llm_lineage.hooks.extraction",
                    "llm_lineage.hooks.tokenization",
                    "llm_lineage.hooks.lora",
                ],
            }
        ],
        "operators": [
            {
                "integration-name": "LLM Lineage",
                "python-modules": [
                    "llm_lineage.operators.extraction",
                    "llm_lineage.operators.tokenization",
                    "llm_lineage.operators.lora",
                ],
            }
        ],
    }
