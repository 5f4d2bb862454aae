"""Number types for settings models: a boolean is never a count or a rate.

Pydantic's lax mode turns ``True`` into ``1`` (and ``1.0``), so ``batch_size=True`` would
silently train with a batch of one; these types refuse booleans and otherwise keep lax
parsing (``"8"`` still becomes 8). Settings models pair them with
``ConfigDict(allow_inf_nan=False)``, because their numbers end up in OpenLineage events, where
NaN and infinities are not JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator

from llm_lineage.common.errors import ConfigError


def _refuse_bool(kind: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, bool):
            raise ConfigError(f"Input should be {kind}, not a boolean")
        return value

    return BeforeValidator(check)


#: An int field that refuses ``True``/``False``; constraints go in ``Field`` as usual.
Integer = Annotated[int, _refuse_bool("an integer")]

#: A float field that refuses ``True``/``False``; finiteness comes from the model's config.
Real = Annotated[float, _refuse_bool("a number")]
