"""The ordered steps that made a dataset, each with library, version, parameters and fingerprint.

Data only: how the fingerprints chain, and how a step continues the chain its input carries,
is ``lineage/transformation_chain.py``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class TransformationStep(RedactMixin):
    """One step. Airflow's redactor (the OpenLineage provider's, on every event) does not walk
    ``parameters``: its key rule hides any key containing ``token``, ``tokenizer`` included.
    The builders pass parameters through the provider's own rules
    (``lineage.secrets.reportable_parameters``), and the operators mask the values Airflow knows
    as secrets (``operators/emission.py``)."""

    _skip_redact: ClassVar[list[str]] = ["parameters"]
    #: Bounding hints (``lineage/facet_walk.py``): strings here keep tabs and newlines.
    _multiline_fields: ClassVar[frozenset[str]] = frozenset({"parameters", "description"})

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
