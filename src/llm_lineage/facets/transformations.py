"""The ordered steps that made a dataset, each with library, version, parameters and fingerprint.

Fingerprints chain as in Hugging Face ``datasets``: each step's fingerprint hashes the previous
fingerprint with the step's own description, so equal fingerprints mean equal processing.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import schema_url

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
class LlmLineageTransformationsDatasetFacet(DatasetFacet):
    steps: list[TransformationStep]
    fingerprint: str
    """Fingerprint of the last step: names the whole chain."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageTransformationsDatasetFacet", VERSION)


def chain_fingerprint(previous: str, name: str, library: str, version: str, parameters: Any) -> str:
    payload = json.dumps(
        [previous, name, library, version, parameters], sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(payload).hexdigest()[:32]


def build_steps(
    seed: str, step: str, specs: list[tuple[str, str, str, dict[str, Any], str | None]]
) -> list[TransformationStep]:
    """Turn ``(name, library, version, parameters, description)`` specs into chained steps."""
    steps: list[TransformationStep] = []
    previous = seed
    for name, library, version, parameters, description in specs:
        previous = chain_fingerprint(previous, name, library, version, parameters)
        steps.append(
            TransformationStep(
                name=name,
                library=library,
                version=version,
                parameters=parameters,
                fingerprint=previous,
                step=step,
                description=description,
            )
        )
    return steps
