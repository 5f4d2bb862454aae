"""What a run consumed: time, CPU, memory, bytes, and its throughput."""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet

from llm_lineage.facets.base import schema_url

VERSION = "1-0-0"


@attr.define
class LlmLineageResourceUsageRunFacet(RunFacet):
    wallSeconds: float
    cpuSeconds: float
    peakMemoryBytes: int | None = attr.field(default=None)
    """Peak resident memory of the worker process."""
    bytesRead: int | None = attr.field(default=None)
    bytesWritten: int | None = attr.field(default=None)
    itemsProcessed: int | None = attr.field(default=None)
    itemUnit: str | None = attr.field(default=None)
    """What itemsProcessed counts: documents, tokens, steps."""
    itemsPerSecond: float | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageResourceUsageRunFacet", VERSION)
