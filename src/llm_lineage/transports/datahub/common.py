"""Aspects several entity kinds share: ownership from the DAG's owners, tags, documentation.

Ownership is built the way DataHub's Airflow plugin builds it for flows and jobs (each owner a
``corpuser``, type ``DEVELOPER``, source ``SERVICE``), so both integrations agree on who owns
a pipeline. Of a dataset's OpenLineage tags only the categorical ones (``TAG_KEYS``) become
DataHub tags: the others carry counts, paths and hashes, which would mint one tag per run;
they are kept as ``tag.<key>`` properties instead.
"""

from __future__ import annotations

from typing import Any

from datahub.metadata.schema_classes import (
    GlobalTagsClass,
    OwnerClass,
    OwnershipClass,
    OwnershipSourceClass,
    OwnershipSourceTypeClass,
    OwnershipTypeClass,
    SubTypesClass,
    TagAssociationClass,
)

from llm_lineage.events import keys
from llm_lineage.transports.datahub.context import Context
from llm_lineage.transports.datahub.event import facet
from llm_lineage.transports.datahub.names import tag_urn, user_urn

TAG_KEYS = frozenset({"llm_lineage.step"})

#: OpenLineage ``datasetType`` values and the DataHub sub-type shown for them.
SUB_TYPES = {
    "FILE": "File",
    "DOCUMENT_COLLECTION": "Document Collection",
    "MODEL": "Model",
    "BASE_MODEL": "Base Model",
    "LORA_ADAPTER": "LoRA Adapter",
    "TABLE": "Table",
    "VIEW": "View",
    "STREAM": "Stream",
}


def add_ownership(context: Context, urn: str) -> None:
    if not context.owners:
        return
    context.add(
        urn,
        OwnershipClass(
            owners=[
                OwnerClass(
                    owner=user_urn(owner),
                    type=OwnershipTypeClass.DEVELOPER,
                    source=OwnershipSourceClass(type=OwnershipSourceTypeClass.SERVICE),
                )
                for owner in sorted(set(context.owners))
            ],
            lastModified=context.stamp(),
        ),
    )


def add_tags(context: Context, urn: str, names: list[str]) -> None:
    if names:
        context.add(
            urn,
            GlobalTagsClass(tags=[TagAssociationClass(tag=tag_urn(n)) for n in sorted(set(names))]),
        )


def ol_tags(item: dict[str, Any]) -> list[dict[str, Any]]:
    tags = facet(item, keys.TAGS).get("tags") or []
    return [t for t in tags if isinstance(t, dict) and t.get("key")]


def tag_names(item: dict[str, Any]) -> list[str]:
    return [f"{t['key']}:{t.get('value', '')}" for t in ol_tags(item) if t["key"] in TAG_KEYS]


def tag_properties(item: dict[str, Any]) -> dict[str, str]:
    return {f"tag.{t['key']}": str(t.get("value", "")) for t in ol_tags(item)}


def description(item: dict[str, Any]) -> str | None:
    value = facet(item, keys.DOCUMENTATION).get("description")
    return str(value) if value else None


def sub_types(item: dict[str, Any]) -> list[str]:
    kind = facet(item, keys.DATASET_TYPE)
    names = [str(kind[key]) for key in ("datasetType", "subType") if kind.get(key)]
    return [SUB_TYPES.get(name, name.replace("_", " ").title()) for name in names]


def add_sub_types(context: Context, urn: str, item: dict[str, Any]) -> None:
    names = sub_types(item)
    if names:
        context.add(urn, SubTypesClass(typeNames=names))


def version(item: dict[str, Any]) -> str | None:
    value = facet(item, keys.VERSION).get("datasetVersion")
    return str(value) if value else None


def is_model(item: dict[str, Any]) -> bool:
    """Base models and adapters: ``datasetType`` MODEL, or a LoRA adapter facet."""
    kind = str(facet(item, keys.DATASET_TYPE).get("datasetType") or "").upper()
    return kind == "MODEL" or bool(facet(item, keys.ADAPTER))
