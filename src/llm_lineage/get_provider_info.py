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
            "Document extraction, text curation, tokenization and LoRA fine-tuning operators "
            "that report every step as OpenLineage events."
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
                    "llm_lineage.hooks.curation",
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
                    "llm_lineage.operators.curation",
                    "llm_lineage.operators.tokenization",
                    "llm_lineage.operators.lora",
                ],
            }
        ],
        "extra-links": ["llm_lineage.operators.catalog_link.CatalogLink"],
        # Also registered through the ``airflow.plugins`` entry point, which Airflow loads even
        # with lazy provider discovery (the default), where this list is only read for listing.
        "plugins": [
            {"name": "llm_lineage", "plugin-class": "llm_lineage.plugins.plugin.LlmLineagePlugin"}
        ],
        # ``airflow llm-lineage replay|spool|...``: the same commands as the console script.
        "cli": ["llm_lineage.cli.airflow_commands.get_cli_commands"],
        "config": _CONFIG,
    }


#: ``[llm_lineage]``, listed by ``airflow config list`` with the other providers' sections.
_CONFIG = {
    "llm_lineage": {
        "description": "Settings of the LLM Lineage provider (airflow-provider-llm-lineage).",
        "options": {
            "catalog_url_template": {
                "description": (
                    "URL of the 'Lineage in catalog' link on the provider's tasks, opening the "
                    "task's main output (text, tokens or adapter) in a lineage catalog. "
                    "Placeholders, each URL-encoded: {namespace} and {name} (the dataset's "
                    "OpenLineage namespace and name), {platform} (the namespace's scheme: file, "
                    "s3, gs, ...), {uri}, {dag_id}, {task_id}, {run_id}. Marquez: "
                    "http://localhost:3000/lineage/dataset/{namespace}/{name}. DataHub: "
                    "https://datahub.example.com/dataset/urn:li:dataset:(urn:li:dataPlatform:"
                    "{platform},{name},PROD)/Lineage. Empty: no link."
                ),
                "version_added": "0.1.0",
                "type": "string",
                "example": "http://localhost:3000/lineage/dataset/{namespace}/{name}",
                "default": "",
            }
        },
    }
}
