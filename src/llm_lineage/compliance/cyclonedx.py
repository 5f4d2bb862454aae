"""CycloneDX 1.6 ML-BOM of an adapter, from its trace.

The adapter is the BOM's subject (``metadata.component``), a ``machine-learning-model`` with a
model card: approach and task, architecture (the base model's type), the datasets it was trained
on, its hyperparameters (CycloneDX 1.6 has no model-parameter field for them, so they are model
card properties ``llm-lineage:hyperparameter:*``), the training losses as quantitative analysis,
and compute time, device and estimated cost as environmental considerations. The base model is
a second ``machine-learning-model``; documents, text, curated text and tokens are ``data``
components (versions are the lineage's content hashes; only the adapter's version is a file's
SHA-256, of ``adapter_model.safetensors``, and so a hash); the libraries of every step are
``library`` components; ``dependencies`` is the graph between them all.

The serial number is a UUID fixed by the adapter's URI and version, so the one value that
changes between two exports of the same lineage is ``metadata.timestamp``.
"""

from __future__ import annotations

from typing import Any

from llm_lineage.compliance.facts import Library, libraries, stable_id, tool
from llm_lineage.compliance.selection import Traced
from llm_lineage.events import kinds
from llm_lineage.report.trace import Node

SPEC_VERSION = "1.6"
SCHEMA = "http://cyclonedx.org/schema/bom-1.6.schema.json"
#: PEFT task types to the task a model card names.
TASKS = {"CAUSAL_LM": "text-generation", "SEQ_2_SEQ_LM": "text2text-generation"}
_DATA_KINDS = (kinds.DOCUMENTS, kinds.TEXT, kinds.CURATED, kinds.TOKENS)


def ref(node: Node) -> str:
    return f"{node.kind.replace(' ', '-')}:{node.id.uri}@{node.version or 'unknown'}"


def bom(traced: Traced, timestamp: str) -> dict[str, Any]:
    """The BOM as a JSON-ready dict, in a fixed key order."""
    root = traced.root
    components = [
        *(_model(n) for n in traced.of_kind(kinds.BASE_MODEL)),
        *(_data(traced, n) for n in traced.of_kind(*_DATA_KINDS)),
    ]
    used = sorted(
        {lib for node in traced.steps() for lib in libraries(node)},
        key=lambda lib: (lib.name, lib.version),
    )
    components.extend(_library(lib) for lib in used)
    return {
        "$schema": SCHEMA,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "serialNumber": f"urn:uuid:{stable_id('cyclonedx', root.id.uri, root.version)}",
        "version": 1,
        "metadata": {
            "timestamp": timestamp,
            "tools": {"components": [{"type": "application", **tool()}]},
            "component": _adapter(traced, root),
        },
        "components": components,
        "dependencies": _dependencies(traced),
    }


def _properties(values: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {"name": f"llm-lineage:{name}", "value": str(value)}
        for name, value in values.items()
        if value is not None and value != ""
    ]


def _adapter(traced: Traced, node: Node) -> dict[str, Any]:
    details = node.details
    lora, base = details.get("lora") or {}, details.get("base_model") or {}
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": ref(node),
        "name": node.id.uri,
        "version": node.version or "unknown",
        "description": f"LoRA adapter of {base.get('name') or 'an unnamed base model'}",
    }
    if node.version:
        component["hashes"] = [{"alg": "SHA-256", "content": node.version}]
    component["properties"] = _properties(
        {
            "uri": node.id.uri,
            "hashed_file": "adapter_model.safetensors" if node.version else None,
            "peft_version": details.get("peft_version"),
            "trainable_parameters": details.get("trainable_parameters"),
            "total_parameters": details.get("total_parameters"),
            "lora_r": lora.get("r"),
            "lora_alpha": lora.get("alpha"),
            "lora_target_modules": ",".join(lora.get("target_modules") or []) or None,
        }
    )
    component["modelCard"] = _model_card(traced, node)
    return component


def _model_card(traced: Traced, node: Node) -> dict[str, Any]:
    details, step = node.details, node.step
    lora, base = details.get("lora") or {}, details.get("base_model") or {}
    training = (step.training if step else None) or {}
    task = lora.get("task_type")
    parameters: dict[str, Any] = {"approach": {"type": "self-supervised"}}
    if task:
        parameters["task"] = TASKS.get(task, str(task))
    if base.get("model_type"):
        parameters["architectureFamily"] = base["model_type"]
    parameters["modelArchitecture"] = (
        f"LoRA (r={lora.get('r')}, alpha={lora.get('alpha')}) on {base.get('model_type') or '?'}"
    )
    parameters["datasets"] = [{"ref": ref(n)} for n in node.inputs if n.kind in _DATA_KINDS]
    card: dict[str, Any] = {"bom-ref": f"model-card:{ref(node)}", "modelParameters": parameters}
    losses = training.get("loss") or {}
    metrics = [
        {"type": f"training loss ({which})", "value": str(value)}
        for which, value in losses.items()
        if value is not None
    ]
    if metrics:
        card["quantitativeAnalysis"] = {"performanceMetrics": metrics}
    resources = step.resources if step else {}
    cost = resources.get("cost") or {}
    environment = _properties(
        {
            "compute_seconds": resources.get("compute_seconds"),
            "device": resources.get("device") or training.get("device"),
            **{f"estimated_cost_{currency}": value for currency, value in cost.items()},
        }
    )
    if environment:
        card["considerations"] = {"environmentalConsiderations": {"properties": environment}}
    hyper = {f"hyperparameter:{k}": v for k, v in (training.get("hyperparameters") or {}).items()}
    extra = _properties(
        {**hyper, "steps": training.get("steps"), "tokens_seen": training.get("tokens_seen")}
    )
    if extra:
        card["properties"] = extra
    return card


def _model(node: Node) -> dict[str, Any]:
    details = node.details
    return {
        "type": "machine-learning-model",
        "bom-ref": ref(node),
        "name": node.id.uri,
        "version": node.version or "unknown",
        "description": "Base model (version: fingerprint of its configuration and weights)",
        "properties": _properties(
            {"model_type": details.get("model_type"), "revision": details.get("revision")}
        ),
    }


def _data(traced: Traced, node: Node) -> dict[str, Any]:
    details = node.details
    data: dict[str, Any] = {
        "type": "dataset",
        "name": node.id.uri,
        "contents": {"url": node.id.uri},
        "description": _describe(node),
    }
    pii = {kind: count for kind, count in (details.get("pii_found") or {}).items() if count}
    if pii:
        mode = details.get("pii_mode") or "?"
        data["sensitiveData"] = [f"{kind}: {count} found ({mode})" for kind, count in pii.items()]
    declared = details.get("declaration")
    component: dict[str, Any] = {
        "type": "data",
        "bom-ref": ref(node),
        "name": node.id.uri,
        "version": node.version or "unknown",
        "data": [data],
    }
    if declared and declared.get("licence"):
        component["licenses"] = [{"license": {"name": declared["licence"]}}]
    component["properties"] = _properties(
        {"kind": node.kind, "size_bytes": node.size, **_counts(node)}
    )
    return component


def _counts(node: Node) -> dict[str, Any]:
    details = node.details
    if node.kind == kinds.DOCUMENTS:
        return {
            "documents": details.get("documents"),
            "author_policy": details.get("author_policy"),
        }
    if node.kind == kinds.TOKENS:
        return {"tokens": details.get("tokens"), "sequences": details.get("sequences")}
    if node.kind == kinds.CURATED:
        return {"documents": details.get("documents_out")}
    return {}


def _describe(node: Node) -> str:
    return {
        kinds.DOCUMENTS: "Document collection (version: hash of every path and file SHA-256)",
        kinds.TEXT: "Extracted text (version: hash of its logical rows)",
        kinds.CURATED: "Curated text (version: hash of its logical rows)",
        kinds.TOKENS: "Token sequences (version: hash of its logical rows)",
    }.get(node.kind, node.kind)


def _library(lib: Library) -> dict[str, Any]:
    return {"type": "library", "bom-ref": lib.ref, "name": lib.name, "version": lib.version}


def _dependencies(traced: Traced) -> list[dict[str, Any]]:
    listed = (*_DATA_KINDS, kinds.ADAPTER, kinds.BASE_MODEL)
    entries = []
    for node in traced.nodes:
        if node.kind not in listed:
            continue
        depends = [ref(n) for n in node.inputs if n.kind in listed]
        depends += [lib.ref for lib in libraries(node)]
        entries.append({"ref": ref(node), "dependsOn": sorted(dict.fromkeys(depends))})
    return entries


def validate(document: str) -> list[str]:
    """Errors of ``document`` against the official CycloneDX 1.6 JSON schema (strict), by
    cyclonedx-python-lib's validator (the ``[compliance]`` extra); empty when it is valid."""
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    errors = JsonStrictValidator(SchemaVersion.V1_6).validate_str(document, all_errors=True)
    return [str(error) for error in errors or []]
