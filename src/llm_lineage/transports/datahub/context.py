"""What every mapping function needs about the event being converted, and where MCPs go.

``Known`` is the catalog as the sink sees it before this event (the metadata file's contents,
or GMS): the mapping reads it only to keep lists that several runs add to (a base model's
``downstreamJobs``, a model group's ``trainingJobs``) and to walk ``upstreamLineage`` back from
training data. Every proposal carries the event's time and OpenLineage run id in its system
metadata, so the same event always gives the same proposals, wherever they are sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata.schema_classes import AuditStampClass, SystemMetadataClass

from llm_lineage.transports.datahub.config import DataHubConfig

#: The actor of audit stamps, as in the DataHub SDK's own entity helpers.
ACTOR = "urn:li:corpuser:datahub"
PIPELINE_NAME = "llm-lineage"


class Known(Protocol):
    def aspect(self, urn: str, aspect_name: str) -> dict[str, Any] | None:
        """The latest value of ``aspect_name`` on ``urn`` as JSON, or None."""


class NothingKnown:
    def aspect(self, urn: str, aspect_name: str) -> dict[str, Any] | None:
        return None


@dataclass
class Context:
    config: DataHubConfig
    event: dict[str, Any]
    event_type: str
    time_ms: int
    known: Known
    ours: bool
    owners: list[str] = field(default_factory=list)
    proposals: list[MetadataChangeProposalWrapper] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str((self.event.get("run") or {}).get("runId") or "")

    @property
    def completes(self) -> bool:
        return self.event_type == "COMPLETE"

    def stamp(self) -> AuditStampClass:
        return AuditStampClass(time=self.time_ms, actor=ACTOR)

    def add(self, urn: str, aspect: Any) -> None:
        """Queue one aspect of ``urn``; later ones for the same aspect replace earlier ones."""
        system = SystemMetadataClass(
            lastObserved=self.time_ms,
            runId=f"{PIPELINE_NAME}-{self.run_id}" if self.run_id else PIPELINE_NAME,
            pipelineName=PIPELINE_NAME,
        )
        proposal = MetadataChangeProposalWrapper(
            entityUrn=urn, aspect=aspect, systemMetadata=system
        )
        self.proposals = [
            p for p in self.proposals if (p.entityUrn, p.aspectName) != (urn, proposal.aspectName)
        ]
        self.proposals.append(proposal)
