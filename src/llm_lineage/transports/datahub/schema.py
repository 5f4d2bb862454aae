"""OpenLineage ``schema`` facets as DataHub ``schemaMetadata``.

Types are the engines' Arrow type names (``int64``, ``large_string``, ``timestamp[us,
tz=UTC]``, ``array``, ``struct``); each maps to DataHub's type class by what it is, and the
original name stays as ``nativeDataType``. Nested fields get dotted paths (``meta.author``);
an array's element type is folded into the array's native type (``array<int32>``) rather
than becoming a field of its own, so column lineage can name every field by its path.
"""

from __future__ import annotations

from typing import Any

import datahub.emitter.mce_builder as builder
from datahub.metadata.schema_classes import (
    ArrayTypeClass,
    BooleanTypeClass,
    BytesTypeClass,
    DateTypeClass,
    MapTypeClass,
    NullTypeClass,
    NumberTypeClass,
    OtherSchemaClass,
    RecordTypeClass,
    SchemaFieldClass,
    SchemaFieldDataTypeClass,
    SchemaMetadataClass,
    StringTypeClass,
    TimeTypeClass,
)

ELEMENT = "_element"

#: Substrings of a type name, checked in order, and the DataHub type they mean.
_TYPES: tuple[tuple[tuple[str, ...], type], ...] = (
    (("array", "list"), ArrayTypeClass),
    (("struct", "record"), RecordTypeClass),
    (("map",), MapTypeClass),
    (("timestamp", "time"), TimeTypeClass),
    (("date",), DateTypeClass),
    (("bool",), BooleanTypeClass),
    (("int", "float", "double", "decimal", "number", "long", "short"), NumberTypeClass),
    (("string", "utf8", "text", "char"), StringTypeClass),
    (("binary", "bytes"), BytesTypeClass),
)


def field_type(native: str) -> SchemaFieldDataTypeClass:
    lowered = native.lower()
    for names, kind in _TYPES:
        if any(name in lowered for name in names):
            return SchemaFieldDataTypeClass(type=kind())
    return SchemaFieldDataTypeClass(type=NullTypeClass())


def _native(item: dict[str, Any]) -> str:
    native = str(item.get("type") or "unknown")
    children = [c for c in item.get("fields") or [] if isinstance(c, dict)]
    elements = [c for c in children if c.get("name") == ELEMENT]
    if elements:
        return f"{native}<{_native(elements[0])}>"
    return native


def _fields(items: list[Any], prefix: str) -> list[SchemaFieldClass]:
    out: list[SchemaFieldClass] = []
    for item in items:
        if not isinstance(item, dict) or not item.get("name") or item["name"] == ELEMENT:
            continue
        path = f"{prefix}{item['name']}"
        native = _native(item)
        out.append(
            SchemaFieldClass(
                fieldPath=path,
                type=field_type(native),
                nativeDataType=native,
                description=item.get("description"),
            )
        )
        out.extend(_fields(item.get("fields") or [], f"{path}."))
    return out


def schema_metadata(facet: dict[str, Any], name: str, platform: str) -> SchemaMetadataClass | None:
    fields = _fields(facet.get("fields") or [], "")
    if not fields:
        return None
    return SchemaMetadataClass(
        schemaName=name,
        platform=builder.make_data_platform_urn(platform),
        version=0,
        hash="",
        platformSchema=OtherSchemaClass(rawSchema=""),
        fields=fields,
    )
