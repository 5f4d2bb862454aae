"""Diff: what changed between two versions of one dataset (an adapter, a token file, a text).

Each version is traced (``trace.py``) and flattened into a profile of named fields, grouped by
what they are:

* ``input``: what someone chose or changed: the documents (added and removed, from the
  manifests where they can be read, else the counts), the authors (as the author policy showed
  them), the tokenizer, the transforms and their parameters, the base model's fingerprint, the
  hyperparameters and LoRA settings, the code commit (and whether its tree was dirty), the
  environment fingerprint and the libraries whose versions differ;
* ``version``: the dataset versions that follow from the inputs (text, tokens, adapter);
* ``outcome``: what the runs measured: final loss, compute and estimated cost.

A change is ``{"field", "from", "to", "kind"}``; documents add ``added`` and ``removed``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.events import keys, kinds
from llm_lineage.lineage.naming import DatasetId, dataset_id
from llm_lineage.report.documents import CONTENT_HASH_KEY
from llm_lineage.report.facets import custom, items, text
from llm_lineage.report.graph import Lineage
from llm_lineage.report.trace import Node, pick_version, trace

INPUT, VERSION, OUTCOME = "input", "version", "outcome"
#: The most document names listed per side; the counts are always complete.
MAX_NAMES = 50


@dataclass
class Change:
    name: str
    before: Any
    after: Any
    kind: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.name, "from": self.before, "to": self.after, "kind": self.kind}


@dataclass
class Diff:
    dataset: DatasetId
    before: str
    after: str
    changes: list[Change]
    unchanged: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset.uri,
            "from": self.before,
            "to": self.after,
            "changes": [{**c.as_dict(), **c.extra} for c in self.changes],
            "unchanged": self.unchanged,
        }

    def of(self, kind: str) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]


class VersionNotFound(LlmLineageError, LookupError):
    """The dataset has no such version (or a prefix names several)."""


def versions(
    lineage: Lineage, key: DatasetId, before: str | None, after: str | None
) -> tuple[str, str]:
    """The two full versions: ``after`` defaults to the current one, ``before`` to the one
    before ``after`` in the order the versions were first seen. Raises ``VersionNotFound`` (a ``LookupError``)."""
    known = lineage.datasets[key].versions()
    to = _one(lineage, key, after) if after else lineage.datasets[key].current
    if to is None:
        raise VersionNotFound(f"{key.uri} has no version")
    if before:
        return _one(lineage, key, before), to
    earlier = known[: known.index(to)] if to in known else []
    if not earlier:
        raise VersionNotFound(f"{key.uri} has no version before {to[:16]}; name one with --from")
    return earlier[-1], to


def _one(lineage: Lineage, key: DatasetId, prefix: str) -> str:
    found = pick_version(lineage, key, prefix)
    if len(found) != 1:
        raise VersionNotFound(f"{len(found)} versions of {key.uri} start with {prefix!r}")
    return found[0]


def diff(lineage: Lineage, key: DatasetId, before: str, after: str) -> Diff:
    old, new = profile(trace(lineage, key, before)), profile(trace(lineage, key, after))
    changes, unchanged = [], []
    for name in dict.fromkeys([*old, *new]):
        kind, was = old.get(name, (_kind(name), None))
        now = new.get(name, (kind, None))[1]
        if was == now:
            unchanged.append(name)
        else:
            changes.append(Change(name, was, now, kind))
    _documents(changes, trace(lineage, key, before), trace(lineage, key, after))
    changes.sort(key=lambda change: _rank(change.name))
    return Diff(key, before, after, changes, sorted(unchanged, key=_rank))


#: The order fields are shown in: where data comes from, how it is made, then what follows.
_ORDER = (
    "documents",
    "tokenizer",
    "transforms",
    "step",
    "base_model",
    "lora",
    "hyperparameters",
    "code",
    "environment",
    "version",
    "loss",
    "compute_seconds",
    "cost",
)


def _rank(name: str) -> int:
    head = name.split(".", 1)[0]
    return _ORDER.index(head) if head in _ORDER else len(_ORDER)


def _kind(name: str) -> str:
    if name.startswith("version."):
        return VERSION
    if name.startswith(("loss.", "compute", "cost")):
        return OUTCOME
    return INPUT


Profile = dict[str, tuple[str, Any]]


def profile(root: Node) -> Profile:
    """Every field the diff compares, from one trace: ``name -> (kind, value)``."""
    found: Profile = {}
    nodes = root.walk()
    for node in nodes:
        _node_fields(found, node)
    steps = [node.step for node in nodes if node.step is not None]
    if root.step is not None:
        _code_fields(found, root.step.code)
        environment = root.step.environment or {}
        found["environment.fingerprint"] = (INPUT, environment.get("fingerprint"))
    libraries: dict[str, str] = {}
    for step in reversed(steps):  # the root's run last: it wins
        libraries.update((step.environment or {}).get("libraries") or {})
    for name, value in sorted(libraries.items()):
        found[f"environment.libraries.{name}"] = (INPUT, value)
    _outcome_fields(found, steps)
    return found


def _node_fields(found: Profile, node: Node) -> None:
    details = node.details
    if node.kind in (kinds.TEXT, kinds.TOKENS, kinds.ADAPTER, kinds.DOCUMENTS):
        found[f"version.{node.kind}"] = (VERSION, node.version)
    if node.kind == kinds.DOCUMENTS:
        found["documents"] = (INPUT, details.get("documents"))
        authors = sorted(str(a.get("name")) for a in details.get("authors") or [])
        found["documents.authors"] = (INPUT, authors)
    elif node.kind == kinds.TOKENS:
        tokenizer = details.get("tokenizer") or {}
        found["tokenizer"] = (INPUT, f"{tokenizer.get('name')} sha256 {tokenizer.get('sha256')}")
        found["transforms"] = (
            INPUT,
            [
                {"name": t.get("name"), "parameters": t.get("parameters")}
                for t in details.get("transforms") or []
            ],
        )
    elif node.kind == kinds.ADAPTER:
        found["base_model.fingerprint"] = (
            INPUT,
            (details.get("base_model") or {}).get("fingerprint"),
        )
        for name, value in sorted((details.get("lora") or {}).items()):
            found[f"lora.{name}"] = (INPUT, value)
    if node.step is not None:
        for step in node.step.transforms:
            if step.get("stage") != "training":  # the hyperparameters say it, one by one
                found[f"step.{step.get('stage')}.{step.get('name')}"] = (
                    INPUT,
                    step.get("parameters"),
                )
        training = node.step.training or {}
        for name, value in sorted((training.get("hyperparameters") or {}).items()):
            found[f"hyperparameters.{name}"] = (INPUT, value)


def _code_fields(found: Profile, code: dict[str, Any] | None) -> None:
    code = code or {}
    found["code.repository"] = (INPUT, code.get("repository"))
    found["code.commit"] = (INPUT, code.get("commit"))
    found["code.dirty"] = (INPUT, code.get("dirty"))


def _outcome_fields(found: Profile, steps: list[Any]) -> None:
    costs: dict[str, float] = {}
    compute = 0.0
    for step in steps:
        compute += step.resources.get("compute_seconds") or 0.0
        for currency, amount in (step.resources.get("cost") or {}).items():
            costs[currency] = round(costs.get(currency, 0.0) + amount, 6)
        if step.training:
            found["loss.last"] = (OUTCOME, step.training["loss"].get("last"))
    found["compute_seconds"] = (OUTCOME, round(compute, 3))
    found["cost"] = (OUTCOME, costs or None)


def _documents(changes: list[Change], before: Node, after: Node) -> None:
    """Names of the documents added and removed, from the manifests where both can be read."""
    old, new = document_names(before), document_names(after)
    entry = next((c for c in changes if c.name == "documents"), None)
    if old is None or new is None:
        if entry is not None:
            entry.extra = {"added": None, "removed": None, "names": "manifests not readable"}
        return
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    if not added and not removed:
        return
    if entry is None:  # as many documents, but not the same ones
        entry = Change("documents", len(old), len(new), INPUT)
        changes.insert(0, entry)
    entry.extra = {
        "added": [new[key] for key in added][:MAX_NAMES],
        "removed": [old[key] for key in removed][:MAX_NAMES],
        "added_count": len(added),
        "removed_count": len(removed),
    }


def document_names(root: Node) -> dict[str, str] | None:
    """``sha256 name -> name`` of every document read into the trace's collections, from the
    collection facet's sample when it lists them all, else from a manifest that still holds the
    version the run wrote; None when neither can say (counts are then all there is)."""
    names: dict[str, str] = {}
    for node in root.walk():
        for child in node.inputs:
            if child.kind != kinds.DOCUMENTS or node.step is None:
                continue
            found = _from_sample(lineage_facets(node, child), child) or _from_manifest(node, child)
            if found is None:
                return None
            names.update(found)
    return names


def lineage_facets(node: Node, child: Node) -> dict[str, Any]:
    """The collection's facets as the run that read it saw them."""
    assert node.step is not None
    for seen in node.step.run.inputs:
        if seen.id == child.id:
            return dict(seen.facets)
    return {}


def _from_sample(facets: dict[str, Any], collection: Node) -> dict[str, str] | None:
    facet = custom(facets, keys.COLLECTION)
    sample = items(facet, "sample")
    if not facet or len(sample) != collection.details.get("documents"):
        return None
    prefix = collection.id.uri.rstrip("/") + "/"
    found = {}
    for entry in sample:
        uri = text(entry, "uri") or "?"
        name = uri[len(prefix) :] if uri.startswith(prefix) else uri
        found[f"{text(entry, 'sha256')} {name}"] = name
    return found


def _from_manifest(node: Node, collection: Node) -> dict[str, str] | None:
    manifest = collection.details.get("manifest")
    assert node.step is not None
    written = {seen.id.uri: seen.version for seen in node.step.run.outputs}
    if not manifest or dataset_id(manifest).uri not in written:
        return None
    try:
        import pyarrow.parquet as pq

        path = dataset_id(manifest).name
        version = (pq.read_metadata(path).metadata or {}).get(CONTENT_HASH_KEY)
        if version is None or version.decode() != written[dataset_id(manifest).uri]:
            return None  # rewritten since: it lists another version's documents
        table = pq.read_table(path, columns=["relative_path", "sha256", "status"])
    except (OSError, ValueError):
        return None
    return {
        f"{row['sha256']} {row['relative_path']}": row["relative_path"]
        for row in table.to_pylist()
        if row["status"] == "extracted"
    }
