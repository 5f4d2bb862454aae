"""What Airflow knows as secret, kept out of what the hooks write and the operators report.

Airflow registers connection passwords, sensitive Variables and rendered secrets with its
secrets masker in the task's process. The lineage layer cannot ask it (it never imports
Airflow), so a rendered parameter that holds such a value (a ``tokenizer_revision`` from a
sensitive Variable, say) reaches the transformation chain as given. ``masked_footer`` masks
those values in Parquet footer metadata before a hook writes it; ``operators/emission.py``
masks them in lineage with the same masker.
"""

from __future__ import annotations

import json
from typing import Any

from llm_lineage.hooks.compat import secrets_masker


def masked_footer(footer: dict[str, str]) -> dict[str, str]:
    """Footer metadata with every value Airflow knows as secret replaced by ``***``.

    Only values are masked, by value (no key rule applies). A JSON value is masked string by
    string, so a secret that happens to hold JSON syntax cannot break it for the next step
    that reads the footer; a value with nothing to mask is kept byte for byte.
    """
    masker = secrets_masker()
    return {key: _masked_value(value, masker) for key, value in footer.items()}


def _masked_value(value: str, masker: Any) -> str:
    masked = masker.redact(value)
    if masked == value:
        return value
    try:
        parsed = json.loads(value)
    except ValueError:
        return str(masked)
    return json.dumps(_masked_strings(parsed, masker), sort_keys=True)


def _masked_strings(value: Any, masker: Any) -> Any:
    if isinstance(value, str):
        return masker.redact(value)
    if isinstance(value, dict):
        return {key: _masked_strings(item, masker) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked_strings(item, masker) for item in value]
    return value
