"""How a dataset's transformation steps are chained: each fingerprint hashes the one before.

Fingerprints chain as in Hugging Face ``datasets``: a step's fingerprint hashes the previous
fingerprint with the step's own description (name, library, version, parameters), so equal
fingerprints mean equal processing from the same start. Each step's builder continues the chain
its input's Parquet footer carries (``lineage/chain.py`` reads and writes those footers), so the
last fingerprint names everything from the documents to the dataset. The steps are reported in
the ``llmLineage_transformations`` facet (``facets/transformations.py``).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from llm_lineage.facets.transformations import (
    LlmLineageTransformationsDatasetFacet,
    TransformationStep,
)
from llm_lineage.lineage.secrets import reportable_parameters

#: ``(name, library, version, parameters, description)`` of one transformation.
StepSpec = tuple[str, str, str, dict[str, Any], "str | None"]


def chain_fingerprint(previous: str, name: str, library: str, version: str, parameters: Any) -> str:
    """The fingerprint of one step applied after the step whose fingerprint is ``previous``."""
    payload = json.dumps(
        [previous, name, library, version, parameters], sort_keys=True, default=str
    ).encode()
    return hashlib.sha256(payload).hexdigest()[:32]


def build_steps(seed: str, step: str, specs: list[StepSpec]) -> list[TransformationStep]:
    """Turn specs into steps whose fingerprints chain from ``seed``.

    A fingerprint hashes the parameters as given; the step reports them as
    ``reportable_parameters`` lets them be (secrets masked, a tokenizer's name kept).
    """
    steps: list[TransformationStep] = []
    previous = seed
    for name, library, version, parameters, description in specs:
        previous = chain_fingerprint(previous, name, library, version, parameters)
        steps.append(
            TransformationStep(
                name=name,
                library=library,
                version=version,
                parameters=reportable_parameters(parameters),
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
