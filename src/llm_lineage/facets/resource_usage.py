"""What a run consumed: time, CPU, memory, bytes, throughput, the device, and its cost.

1-1-0 adds the device and cost fields (all optional, so every 1-0-0 facet is a valid 1-1-0 one).
"""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-1-0"


@attr.define
class LlmLineageResourceUsageRunFacet(ProducedHere, RunFacet):
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
    deviceKind: str | None = attr.field(default=None)
    """cpu or cuda."""
    deviceName: str | None = attr.field(default=None)
    deviceCount: int | None = attr.field(default=None)
    computeSeconds: float | None = attr.field(default=None)
    """Device time billed: wall seconds times deviceCount."""
    peakDeviceMemoryBytes: int | None = attr.field(default=None)
    costPerHour: float | None = attr.field(default=None)
    """Price of one device-hour, as the operator was told."""
    estimatedCost: float | None = attr.field(default=None)
    """computeSeconds / 3600 * costPerHour."""
    currency: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageResourceUsageRunFacet", VERSION)
