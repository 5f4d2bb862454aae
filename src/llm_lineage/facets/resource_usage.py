"""What a run consumed: time, CPU, memory, bytes, throughput, the device, and its cost.

1-1-0 adds the device and cost fields (all optional, so every 1-0-0 facet is a valid 1-1-0 one);
1-2-0 adds ``devices``, every device of a distributed run (optional too).
"""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-2-0"


@attr.define
class DeviceUsage(RedactMixin):
    """One rank's device: how long it was held, the CPU its process used, its peak memory."""

    rank: int
    wallSeconds: float
    cpuSeconds: float
    kind: str | None = attr.field(default=None)
    name: str | None = attr.field(default=None)
    peakMemoryBytes: int | None = attr.field(default=None)
    peakDeviceMemoryBytes: int | None = attr.field(default=None)


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
    devices: list[DeviceUsage] | None = attr.field(default=None)
    """Every device of a distributed run, one per rank; the totals above count them all."""

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageResourceUsageRunFacet", VERSION)
