"""Transformation chains travel with the data, in the Parquet footer of each step's output.

The next step reads the footer of its input and continues the chain, so the tokens' lineage
lists the extraction steps too, even when the two steps run in different DAGs or years apart.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attr

from llm_lineage.facets.transformations import (
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
)

STEP_KEY = "llm_lineage.step"
TRANSFORMATIONS_KEY = "llm_lineage.transformations"


def chain_footer(step: str, facet: LlmLineageTransformationsDatasetFacet) -> dict[str, str]:
    """Footer metadata naming the step that wrote the file and the chain that made it."""
    steps = [attr.asdict(s, filter=lambda a, _: not a.name.startswith("_")) for s in facet.steps]
    return {STEP_KEY: step, TRANSFORMATIONS_KEY: json.dumps(steps, sort_keys=True)}


def _text(metadata: Mapping[bytes, bytes], key: str) -> str | None:
    value = metadata.get(key.encode())
    return value.decode() if value is not None else None


def read_chain(
    metadata: Mapping[bytes, bytes] | None,
) -> tuple[str | None, list[TransformationStep]]:
    """The step that wrote a Parquet file and its chain; ``(None, [])`` for other files."""
    if not metadata:
        return None, []
    raw = _text(metadata, TRANSFORMATIONS_KEY)
    steps: list[dict[str, Any]] = json.loads(raw) if raw else []
    return _text(metadata, STEP_KEY), [TransformationStep(**step) for step in steps]
