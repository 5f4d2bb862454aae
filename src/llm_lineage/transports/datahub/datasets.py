"""Datasets: documents, text, manifests, tokens, and anything other operators name.

Who describes a dataset decides what its aspects say, and DataHub replaces an aspect whole, so
the rule is one writer per aspect: a dataset's description (``datasetProperties``,
``schemaMetadata``, ``upstreamLineage`` with column lineage, tags, owners, ``datasetProfile``)
comes from the COMPLETE event of the run of ours that wrote it. A dataset we only read is
described by the reading run only when the event holds facts nobody else reports (the
document collection's counts, formats, authors and dates). Everything else a run names (its
START events, datasets read from elsewhere, every dataset of other operators' events, whose
catalog description belongs to DataHub's own sources) is only made to exist (``status``), so
it shows in the graph without overwriting what is known about it.
"""

from __future__ import annotations

from typing import Any

from datahub.metadata.schema_classes import (
    DatasetLineageTypeClass,
    DatasetProfileClass,
    DatasetPropertiesClass,
    FineGrainedLineageClass,
    FineGrainedLineageDownstreamTypeClass,
    FineGrainedLineageUpstreamTypeClass,
    StatusClass,
    UpstreamClass,
    UpstreamLineageClass,
)

from llm_lineage.events import keys
from llm_lineage.transports.datahub.common import (
    add_ownership,
    add_sub_types,
    add_tags,
    description,
    is_model,
    tag_names,
    tag_properties,
    version,
)
from llm_lineage.transports.datahub.context import Context
from llm_lineage.transports.datahub.event import facet
from llm_lineage.transports.datahub.names import (
    dataset_urn,
    field_urn,
    location_uri,
    platform_and_name,
)
from llm_lineage.transports.datahub.properties import facet_properties
from llm_lineage.transports.datahub.schema import schema_metadata

#: Facets that have aspects of their own, so they are not repeated as properties.
OWN_ASPECTS = ("schema", "columnLineage", "documentation", "tags", "ownership", "symlinks")
#: Input facets that only a reader knows: a dataset carrying one is described by its reader.
FIRST_HAND = (keys.COLLECTION,)


def urn_of(item: dict[str, Any], context: Context) -> str:
    return dataset_urn(item["namespace"], item["name"], context.config.env)


def first_hand(item: dict[str, Any]) -> bool:
    return any(facet(item, name) for name in FIRST_HAND)


def add_dataset(context: Context, item: dict[str, Any], role: str) -> str | None:
    """The dataset's aspects for its ``role`` (input or output); None for a model."""
    if is_model(item):
        return None
    urn = urn_of(item, context)
    described = context.ours and context.event_type in ("COMPLETE", "FAIL")
    if described and role == "output" and context.completes:
        _describe(context, urn, item)
        _lineage(context, urn, item)
        add_tags(context, urn, tag_names(item))
        add_ownership(context, urn)
        _profile(context, urn, item)
    elif described and role == "input" and first_hand(item):
        _describe(context, urn, item)
    else:
        context.add(urn, StatusClass(removed=False))
    return urn


def _describe(context: Context, urn: str, item: dict[str, Any]) -> None:
    platform, path = platform_and_name(item["namespace"], item["name"])
    properties = facet_properties(item.get("facets") or {}, skip=OWN_ASPECTS)
    properties.update(tag_properties(item))
    context.add(
        urn,
        DatasetPropertiesClass(
            name=path.rstrip("/").rsplit("/", 1)[-1] or path,
            qualifiedName=location_uri(item["namespace"], item["name"]),
            description=description(item),
            customProperties=properties,
        ),
    )
    schema = schema_metadata(facet(item, keys.SCHEMA), path, platform)
    if schema is not None:
        context.add(urn, schema)
    add_sub_types(context, urn, item)


def _upstreams(context: Context) -> dict[str, str | None]:
    """The event's input datasets (models aside) and the version each was read at."""
    return {
        urn_of(item, context): version(item)
        for item in context.event.get("inputs") or []
        if not is_model(item)
    }


def _lineage(context: Context, urn: str, item: dict[str, Any]) -> None:
    upstreams = _upstreams(context)
    fine = _fine_grained(context, urn, item, upstreams)
    if not upstreams:
        return
    context.add(
        urn,
        UpstreamLineageClass(
            upstreams=[
                UpstreamClass(
                    dataset=upstream,
                    type=DatasetLineageTypeClass.TRANSFORMED,
                    auditStamp=context.stamp(),
                    properties={"datasetVersion": read} if read else None,
                )
                for upstream, read in sorted(upstreams.items())
            ],
            fineGrainedLineages=fine or None,
        ),
    )


def _fine_grained(
    context: Context, urn: str, item: dict[str, Any], upstreams: dict[str, str | None]
) -> list[FineGrainedLineageClass]:
    """Column lineage: each output field from the input fields it was made of."""
    out: list[FineGrainedLineageClass] = []
    fields = facet(item, keys.COLUMN_LINEAGE).get("fields") or {}
    for name in sorted(fields):
        sources = [s for s in (fields[name] or {}).get("inputFields") or [] if s.get("field")]
        if not sources:
            continue
        for source in sources:
            upstreams.setdefault(urn_of(source, context), None)
        out.append(
            FineGrainedLineageClass(
                upstreamType=FineGrainedLineageUpstreamTypeClass.FIELD_SET,
                upstreams=[field_urn(urn_of(s, context), s["field"]) for s in sources],
                downstreamType=FineGrainedLineageDownstreamTypeClass.FIELD,
                downstreams=[field_urn(urn, name)],
                transformOperation=_operation(sources),
                confidenceScore=1.0,
            )
        )
    return out


def _operation(sources: list[dict[str, Any]]) -> str | None:
    parts = []
    for source in sources:
        for step in source.get("transformations") or []:
            kind = "/".join(str(step[k]) for k in ("type", "subtype") if step.get(k))
            text = f"{kind}: {step['description']}" if step.get("description") else kind
            if text and text not in parts:
                parts.append(text)
    return "; ".join(parts) or None


def _profile(context: Context, urn: str, item: dict[str, Any]) -> None:
    statistics = facet(item, keys.OUTPUT_STATISTICS)
    if not statistics:
        return
    context.add(
        urn,
        DatasetProfileClass(
            timestampMillis=context.time_ms,
            rowCount=statistics.get("rowCount"),
            sizeInBytes=statistics.get("size"),
        ),
    )
