"""Values of transport configuration keys, read the same way by every transport of ours.

``AIRFLOW__OPENLINEAGE__TRANSPORT`` gives JSON booleans, ``openlineage.yml`` YAML ones, and
``OPENLINEAGE__TRANSPORT__*`` variables strings: a flag is accepted in each of these forms.
"""

from __future__ import annotations

from typing import Any

TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no"})


def flag(value: Any, where: str) -> bool:
    """``value`` as a boolean; ``where`` names the transport and key in the error."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError(f"{where} must be true or false, got {value!r}")
