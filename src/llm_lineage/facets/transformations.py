"""The ordered steps that made a dataset, each with library, version, parameters and fingerprint.

Data only: how the fingerprints chain, and how a step continues the chain its input carries,
is ``lineage/transformation_chain.py``.
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class TransformationStep(RedactMixin):
    name: str
    library: str
    version: str
    parameters: dict[str, Any]
    fingerprint: str
    step: str
    """The pipeline step that applied it: extraction, tokenization, ..."""
    description: str | None = attr.field(default=None)


@attr.define
class LlmLineageTransformationsDatasetFacet(ProducedHere, DatasetFacet):
    steps: list[TransformationStep]
    fingerprint: str
    """Fingerprint of the last step: names the whole chain."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageTransformationsDatasetFacet", VERSION)
