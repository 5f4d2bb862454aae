"""What the lineage layer's final guard changed so that an event stays strict JSON and small.

Present only when something was changed: a clean, small run carries no such facet.
"""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class Truncation(RedactMixin):
    """A list (or map) of the event that lost items: where it sits, how many it kept of how many.

    ``kept`` 0 of ``original`` 1 means a whole facet was dropped.
    """

    path: str
    """Where it sits in the event, e.g. ``inputs[0].facets.llmLineage_documentCollection.sample``."""
    kept: int
    original: int


@attr.define
class LlmLineageEventBoundsRunFacet(ProducedHere, RunFacet):
    budgetBytes: int
    """The most bytes this provider's own part of an event (datasets and facets) may take."""
    bytesBefore: int
    """That part's size as the step reported it."""
    bytesAfter: int
    """Its size as emitted, without this facet."""
    truncations: list[Truncation]
    """What lost items, in the order the guard cut them; the first ones, see truncationCount."""
    truncationCount: int
    stringsCleaned: int
    """Strings whose control characters were replaced by visible escapes."""
    stringsCut: int
    """Times a string was cut to a length limit."""
    nonFiniteNumbers: int
    """NaN and infinite numbers left out (JSON has no such values)."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageEventBoundsRunFacet", VERSION)
