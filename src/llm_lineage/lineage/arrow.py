"""OpenLineage schema facets derived from the pyarrow schemas that the engines write."""

from __future__ import annotations

import pyarrow as pa
from openlineage.client.facet_v2 import schema_dataset


def _type_name(kind: pa.DataType) -> str:
    if pa.types.is_large_string(kind):
        return "string"
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        return "array"
    return str(kind)


def _fields(schema_fields: list[pa.Field]) -> list[schema_dataset.SchemaDatasetFacetFields]:
    out = []
    for position, arrow_field in enumerate(schema_fields, start=1):
        metadata = arrow_field.metadata or {}
        description = metadata.get(b"description", b"").decode() or None
        children: list[schema_dataset.SchemaDatasetFacetFields] = []
        kind = arrow_field.type
        if pa.types.is_list(kind) or pa.types.is_large_list(kind):
            children = _fields([pa.field("_element", kind.value_type)])
        out.append(
            schema_dataset.SchemaDatasetFacetFields(
                name=arrow_field.name,
                type=_type_name(kind),
                description=description,
                ordinal_position=position,
                fields=children,
            )
        )
    return out


def schema_facet(schema: pa.Schema) -> schema_dataset.SchemaDatasetFacet:
    return schema_dataset.SchemaDatasetFacet(fields=_fields(list(schema)))
