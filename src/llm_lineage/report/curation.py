"""What curation did to one document, from the decisions files; and what curation saved.

A curated text's ``llmLineage_curation`` facet names its decisions Parquet (``decisionsUri``):
one row per document read, with the rules that dropped or changed it and the document it
duplicates. For a takedown question the rows of the document are read from there (identifying
columns and counts only, never text), so the answer can say "dropped by curation (near-duplicate
of b.txt)" or "redacted: 2 e-mail addresses". For usage, the characters curation dropped are
turned into tokens at the rate of the tokenization that read the curated text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from llm_lineage.events import keys, kinds
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.report.facets import custom, integer, number
from llm_lineage.report.graph import Lineage
from llm_lineage.report.trace import Node

_COLUMNS = ["doc_id", "relative_path", "kept", "reasons", "duplicate_of"]
#: The decisions' PII columns, and how a sentence names one item and several.
PII_NAMES = {
    "email": ("e-mail address", "e-mail addresses"),
    "phone": ("phone number", "phone numbers"),
    "card": ("card number", "card numbers"),
    "iban": ("IBAN", "IBANs"),
    "ip": ("IP address", "IP addresses"),
}
_RULES = {
    "language": "language",
    "pii": "personal data",
    "exact_duplicate": "exact duplicate",
    "near_duplicate": "near-duplicate",
}


@dataclass
class CurationCheck:
    """One curation in a trace, and what its decisions say about the document."""

    dataset: str
    decisions: str | None
    reachable: bool = False
    reason: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def dropped(self) -> bool:
        return self.reachable and bool(self.rows) and not any(row["kept"] for row in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "dropped": self.dropped}


def curation_nodes(root: Node) -> list[Node]:
    """The curated texts in a trace, each once."""
    found: dict[str, Node] = {}
    for node in root.walk():
        if node.kind == kinds.CURATED:
            found.setdefault(f"{node.id.uri}@{node.version}", node)
    return list(found.values())


def check_curations(root: Node, doc_ids: set[str], paths: set[str]) -> list[CurationCheck]:
    checks = []
    for node in curation_nodes(root):
        decisions = node.details.get("decisions")
        check = CurationCheck(node.id.uri, decisions)
        checks.append(check)
        if not decisions:
            check.reason = "the curation names no decisions file"
            continue
        try:
            check.rows = read_decisions(decisions, doc_ids, paths)
        except (OSError, ValueError, ImportError) as error:
            check.reason = f"{type(error).__name__}: {error}"[:300]
            continue
        check.reachable = True
    return checks


def read_decisions(uri: str, doc_ids: set[str], paths: set[str]) -> list[dict[str, Any]]:
    """The document's rows (by doc_id or relative path), each with what curation did to it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.fs as pafs
    import pyarrow.parquet as pq

    identity = dataset_id(uri)
    if identity.namespace == "file":
        filesystem, path = pafs.LocalFileSystem(), identity.name
    else:
        filesystem, path = pafs.FileSystem.from_uri(identity.location)
    names = pq.read_schema(path, filesystem=filesystem).names
    columns = _COLUMNS + [name for name in names if name.startswith("pii_")]
    table = pq.read_table(path, columns=columns, filesystem=filesystem)
    mask = pc.or_(
        pc.is_in(table["doc_id"], value_set=pa.array(sorted(doc_ids), pa.string())),
        pc.is_in(table["relative_path"], value_set=pa.array(sorted(paths), pa.string())),
    )
    rows = table.filter(pc.fill_null(mask, False)).to_pylist()
    wanted = {row["duplicate_of"] for row in rows if row["duplicate_of"]}
    originals = table.filter(
        pc.is_in(table["doc_id"], value_set=pa.array(sorted(wanted), pa.string()))
    ).to_pylist()
    by_id = {row["doc_id"]: row["relative_path"] for row in originals}
    for row in rows:
        row["duplicate_of_path"] = by_id.get(row["duplicate_of"])
        row["pii"] = {
            kind[len("pii_") :]: row.pop(kind) for kind in list(row) if kind.startswith("pii_")
        }
        row["explanation"] = explain(row)
    return rows


def explain(row: dict[str, Any]) -> str:
    """``dropped by curation (near-duplicate of b.txt)``, ``redacted: 2 e-mail addresses``..."""
    reasons: list[str] = list(row.get("reasons") or [])
    if not row.get("kept"):
        why = []
        for reason in reasons:
            label = _RULES.get(reason, reason.replace("quality.", "quality: "))
            if reason.endswith("duplicate"):
                label += f" of {row.get('duplicate_of_path') or row.get('duplicate_of')}"
            why.append(label)
        return f"dropped by curation ({', '.join(why) or 'no reason recorded'})"
    found = pii_phrase(row.get("pii") or {})
    if "pii" in reasons and found:
        return f"kept; redacted: {found}"
    return f"kept; personal data found: {found}" if found else "kept"


def pii_phrase(counts: dict[str, Any]) -> str:
    phrases = []
    for kind, (one, several) in PII_NAMES.items():
        value = counts.get(kind)
        if isinstance(value, int) and value > 0:
            phrases.append(f"{value} {one if value == 1 else several}")
    return ", ".join(phrases)


def tokens_saved(lineage: Lineage) -> list[dict[str, Any]]:
    """Per curated text (current version): documents and characters dropped, and the tokens they
    would have been at the rate of the tokenization that last read it (None when none did)."""
    saved = []
    for key, history in sorted(lineage.datasets.items(), key=lambda item: item[0].uri):
        if history.kind != kinds.CURATED or not history.writes:
            continue
        curation = custom(history.facets(history.current), keys.CURATION)
        dropped, characters_out = (
            integer(curation, "charactersDropped"),
            integer(curation, "charactersOut"),
        )
        rate = _token_rate(lineage, history, characters_out)
        saved.append(
            {
                "uri": key.uri,
                "documents_in": integer(curation, "documentsIn"),
                "documents_dropped": integer(curation, "documentsDropped"),
                "characters_dropped": dropped,
                "tokens_per_character": None if rate is None else round(rate, 4),
                "tokens_saved": None if rate is None or dropped is None else round(dropped * rate),
            }
        )
    return saved


def _token_rate(lineage: Lineage, history: Any, characters: int | None) -> float | None:
    """Document tokens per character of the last tokenization of this version of the text."""
    if not characters:
        return None
    for read in reversed(history.reads):
        if read.version != history.current:
            continue
        for seen in read.run.outputs:
            output = lineage.datasets.get(seen.id)
            if output is None or output.kind != kinds.TOKENS:
                continue
            tokenization = custom(output.facets(seen.version), keys.TOKENIZATION)
            mean = number(tokenization, "tokensPerDocument", "mean")
            documents = integer(tokenization, "documentsOut")
            if mean is not None and documents:
                return mean * documents / characters
    return None
