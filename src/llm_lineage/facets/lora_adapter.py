"""What a LoRA adapter is: the base model it belongs to and the shape PEFT gave it."""

from __future__ import annotations

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class BaseModelReference(RedactMixin):
    """The base model by name and by content: an adapter only works on these exact weights."""

    name: str
    fingerprint: str
    """sha256 over the config's and every weight file's sha256."""
    revision: str | None = attr.field(default=None)
    """The revision asked for (branch, tag or commit)."""
    resolvedRevision: str | None = attr.field(default=None)
    """The hub commit that revision resolved to."""
    modelType: str | None = attr.field(default=None)


@attr.define
class LlmLineageLoraAdapterDatasetFacet(ProducedHere, DatasetFacet):
    baseModel: BaseModelReference
    r: int
    alpha: int
    dropout: float
    targetModules: list[str]
    bias: str
    taskType: str
    trainableParameters: int
    totalParameters: int
    peftVersion: str
    format: str = attr.field(default="safetensors")

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageLoraAdapterDatasetFacet", VERSION)
