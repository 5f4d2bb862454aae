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


#: ``(name, library, version, parameters, description)`` of one transformation.
StepSpec = tuple[str, str, str, dict[str, Any], "str | None"]


def build_steps(seed: str, step: str, specs: list[StepSpec]) -> list[TransformationStep]:
    """Turn specs into steps whose fingerprints chain from ``seed``."""
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


def continue_chain(
    inherited: list[TransformationStep], seed: str, step: str, specs: list[StepSpec]
) -> LlmLineageTransformationsDatasetFacet:
    """The inherited steps, then ``specs`` chained from the last inherited fingerprint."""
    start = inherited[-1].fingerprint if inherited else seed
    steps = [*inherited, *build_steps(start, step, specs)]
    return LlmLineageTransformationsDatasetFacet(steps=steps, fingerprint=steps[-1].fingerprint)
