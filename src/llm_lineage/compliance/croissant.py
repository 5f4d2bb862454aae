"""Croissant 1.1 JSON-LD of a text, curated-text or token dataset, from its trace.

The distribution is the Parquet file with its SHA-256 (read from the file itself, which must
be readable where the export runs: the lineage records content hashes of rows, not of files);
the record set has one field per Parquet column from the dataset's ``schema`` facet. The
Responsible-AI fields are filled from the lineage only: provenance (``prov:wasDerivedFrom``
the document collections), how the documents were collected, the preprocessing protocol (every
step of the chain), and personal information as curation counted it, or a statement that no
curation step ran. Author names appear only as the author policy left them in the events.
``dateCreated`` is when the dataset's version was written; the export's own timestamp is
``sdDatePublished``, the one value that changes between two exports of the same lineage.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from llm_lineage.compliance.facts import processing, read_dates, schema_fields, sources, stable_id
from llm_lineage.compliance.selection import ExportError, Traced
from llm_lineage.events import kinds
from llm_lineage.report.timeutil import iso
from llm_lineage.report.trace import Node

CONFORMS_TO = "http://mlcommons.org/croissant/1.1"
CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "prov": "http://www.w3.org/ns/prov#",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isArray": "cr:isArray",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}
DATASET_KINDS = (kinds.TEXT, kinds.CURATED, kinds.TOKENS)
_TYPES = {"string": "sc:Text", "bool": "sc:Boolean", "float": "sc:Float", "double": "sc:Float"}


def data_type(arrow_type: str) -> tuple[str, bool]:
    """A Parquet column's Arrow type as a Croissant data type, and whether it is an array."""
    if arrow_type.startswith(("list", "large_list", "array")):
        inner = arrow_type.partition("<")[2].rstrip(">").rpartition(":")[2].strip()
        return data_type(inner or "string")[0], True
    if arrow_type.startswith(("int", "uint")):
        return "sc:Integer", False
    if arrow_type.startswith(("timestamp", "date")):
        return "sc:Date", False
    return _TYPES.get(arrow_type, "sc:Text"), False


def file_sha256(node: Node) -> str:
    """SHA-256 of the dataset's file, read where the export runs; ``ExportError`` otherwise."""
    if node.id.namespace != "file":
        raise ExportError(
            f"{node.id.uri}: Croissant needs the file's SHA-256; export where the file is "
            "on a local path (the lineage holds content hashes of rows, not of files)"
        )
    digest = hashlib.sha256()
    try:
        with Path(node.id.name).open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise ExportError(f"cannot read {node.id.name} to hash it: {error.strerror}") from None
    return digest.hexdigest()


def croissant(traced: Traced, timestamp: str) -> dict[str, Any]:
    node = traced.root
    file_id = Path(node.id.name).name or "data.parquet"
    collected = sources(traced)
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "@id": f"urn:uuid:{stable_id('croissant', node.id.uri, node.version)}",
        "name": node.id.uri,
        "description": _description(traced, collected),
        "conformsTo": CONFORMS_TO,
        "url": node.id.uri,
        "identifier": node.version or "unknown",
        "dateCreated": iso(node.written),
        "sdDatePublished": timestamp,
    }
    licences = sorted({s["declaration"]["licence"] for s in collected if s["declaration"]})
    if licences:
        document["license"] = licences if len(licences) > 1 else licences[0]
    document["prov:wasDerivedFrom"] = [{"@id": source["uri"]} for source in collected]
    document.update(_rai(traced, collected))
    document["distribution"] = [
        {
            "@type": "cr:FileObject",
            "@id": file_id,
            "name": file_id,
            "contentUrl": node.id.uri,
            "encodingFormat": "application/x-parquet",
            "sha256": file_sha256(node),
        }
    ]
    document["recordSet"] = [_record_set(traced, node, file_id)]
    return {key: value for key, value in document.items() if value is not None}


def _description(traced: Traced, collected: list[dict[str, Any]]) -> str:
    node = traced.root
    documents = sum(s["documents"] or 0 for s in collected)
    return (
        f"{node.kind.capitalize()} made by airflow-provider-llm-lineage from {documents} "
        f"documents of {len(collected)} collection(s); lineage version {node.version}."
    )


def _rai(traced: Traced, collected: list[dict[str, Any]]) -> dict[str, Any]:
    collection = [
        f"{s['documents']} documents ({', '.join(f'{n} {f}' for f, n in s['formats'].items())}) "
        f"read from {s['uri']}; authors under the '{s['author_policy']}' policy"
        + (
            f"; declared as {s['declaration']['kind']} ({s['declaration']['public_name']})"
            if s["declaration"]
            else ""
        )
        for s in collected
    ]
    times = read_dates(traced, kinds.TEXT)
    protocol = [
        f"{step['name']} ({step['library']} {step['version']}): "
        + json.dumps(step["parameters"], sort_keys=True, ensure_ascii=False)
        if step["parameters"]
        else f"{step['name']} ({step['library']} {step['version']})"
        for step in processing(traced)
    ]
    return {
        "rai:dataCollection": " ".join(collection) or None,
        "rai:dataCollectionTimeframe": times or None,
        "rai:dataPreprocessingProtocol": protocol,
        "rai:personalSensitiveInformation": _personal(traced),
    }


def _personal(traced: Traced) -> str:
    curated = traced.of_kind(kinds.CURATED)
    if not curated:
        return "Not assessed: no curation step ran on this data's way from its documents."
    parts = []
    for node in curated:
        found = node.details.get("pii_found") or {}
        counts = ", ".join(f"{count} {kind}" for kind, count in found.items()) or "none"
        parts.append(f"Curation ({node.details.get('pii_mode')}) found personal data: {counts}.")
    return " ".join(parts)


def _record_set(traced: Traced, node: Node, file_id: str) -> dict[str, Any]:
    fields = []
    for name, arrow_type, description in schema_fields(traced, node):
        kind, array = data_type(arrow_type)
        field: dict[str, Any] = {
            "@type": "cr:Field",
            "@id": f"records/{name}",
            "name": name,
            "description": description,
            "dataType": kind,
        }
        if array:
            field["isArray"] = True
        field["source"] = {"fileObject": {"@id": file_id}, "extract": {"column": name}}
        fields.append({key: value for key, value in field.items() if value is not None})
    return {"@type": "cr:RecordSet", "@id": "records", "name": "records", "field": fields}


def validate(path: str | Path) -> list[str]:
    """Errors mlcroissant finds in the Croissant file at ``path`` (the ``[compliance]``
    extra); empty when it is valid. Warnings are not errors."""
    import mlcroissant

    root = logging.getLogger()
    handlers = list(root.handlers)
    try:
        mlcroissant.Dataset(jsonld=str(path))
    except mlcroissant.ValidationError as error:
        return [line for line in str(error).splitlines() if line.strip()]
    finally:  # its warnings (through absl) add a handler on the root logger: leave it as it was
        root.handlers[:] = handlers
    return []
