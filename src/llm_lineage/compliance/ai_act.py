"""The EU AI Act public summary of training content (Article 53(1)(d)), on the European
Commission's template of 24 July 2025, filled from an adapter's trace.

The template has three sections: general information (provider, model, modalities and sizes),
the list of data sources by kind, and data processing (opt-outs, illegal content). The lineage
knows the model's identity and its base model, the size of the training data in tokens (and so
the template's size range), the document formats, the dates of the runs, the sources and, where
the pipeline's operator declared them, their kinds, licences, opt-out status and public names,
and every processing step. Every field it cannot know is ``TO_COMPLETE``: the provider fills it,
nothing is invented. A summary of a fine-tuned adapter covers the data of that modification.

``SECTIONS`` is the template's list; ``summary`` returns the fields of each, in order, each
marked with where its value came from (``lineage``, ``declaration`` or ``provider``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from llm_lineage.compliance.facts import processing, read_dates, sources, tool
from llm_lineage.compliance.selection import Traced
from llm_lineage.events import kinds
from llm_lineage.lineage.declaration import SourceKind

TEMPLATE = "European Commission, Template for the Public Summary of Training Content, 24 July 2025"
TO_COMPLETE = "[To be completed by the provider]"
#: The template's sections, in order (number, title).
SECTIONS = (
    ("1", "General information"),
    ("1.1", "Provider identification"),
    ("1.2", "Model identification"),
    ("1.3", "Modalities, overall training data size and other characteristics"),
    ("2", "List of data sources"),
    ("2.1", "Publicly available datasets"),
    ("2.2", "Private non-publicly available datasets obtained from third parties"),
    ("2.3", "Data crawled and scraped from online sources"),
    ("2.4", "User data"),
    ("2.5", "Synthetic data"),
    ("2.6", "Other sources of data"),
    ("3", "Data processing aspects"),
    ("3.1", "Respect of reservation of rights from text and data mining exception or limitation"),
    ("3.2", "Removal of illegal content"),
    ("3.3", "Other information"),
)
#: The template's ranges of text training data size.
TEXT_SIZE_RANGES = (
    (10**9, "Less than 1 billion tokens"),
    (10**13, "1 billion to 10 trillion tokens"),
    (None, "More than 10 trillion tokens"),
)
#: Source kinds (``lineage/declaration.py``) by section of part 2.
KIND_SECTIONS = {
    "2.1": (SourceKind.PUBLIC_DATASET,),
    "2.2": (SourceKind.LICENSED_PRIVATE, SourceKind.OTHER_PRIVATE),
    "2.3": (SourceKind.CRAWLED,),
    "2.4": (SourceKind.USER_DATA,),
    "2.5": (SourceKind.SYNTHETIC,),
    "2.6": (SourceKind.OTHER,),
}

Field = dict[str, Any]


def field(name: str, value: Any, origin: str = "lineage") -> Field:
    """One field of the template; a value of None is the provider's to complete."""
    if value is None or value == [] or value == "":
        return {"field": name, "value": TO_COMPLETE, "source": "provider"}
    return {"field": name, "value": value, "source": origin}


def size_range(tokens: int | None) -> str | None:
    if tokens is None:
        return None
    return next(label for limit, label in TEXT_SIZE_RANGES if limit is None or tokens < limit)


def summary(traced: Traced, timestamp: str, base_summary: str | None = None) -> dict[str, Any]:
    """The summary as a JSON-ready dict: the model, then each template section's fields."""
    builders: dict[str, Callable[[Traced, str | None], list[Field]]] = {
        "1.1": _provider,
        "1.2": _model,
        "1.3": _characteristics,
        **{number: _sources_of(number) for number in KIND_SECTIONS},
        "2": _undeclared,
        "3.1": _opt_outs,
        "3.2": _illegal_content,
        "3.3": _other,
    }
    return {
        "template": TEMPLATE,
        "generated": timestamp,
        "generator": tool(),
        "adapter": {"uri": traced.root.id.uri, "version": traced.root.version},
        "scope": "The training content of this fine-tuned adapter (the modification); the base "
        "model's own training content is covered by its provider's summary.",
        "sections": [
            {
                "number": number,
                "title": title,
                "fields": builders[number](traced, base_summary) if number in builders else [],
            }
            for number, title in SECTIONS
        ],
    }


def _provider(traced: Traced, base_summary: str | None) -> list[Field]:
    return [
        field("Provider name and contact details", None),
        field("Authorised representative name and contact details", None),
    ]


def _model(traced: Traced, base_summary: str | None) -> list[Field]:
    root = traced.root
    base = (root.details.get("base_model") or {}) if root.kind == kinds.ADAPTER else {}
    name = base.get("name")
    dependency = (
        f"Fine-tuned (LoRA) from {name} (fingerprint {base.get('fingerprint')})" if name else None
    )
    return [
        field("Versioned model name(s)", None),
        field("Model in the lineage", f"{root.id.uri} (version {root.version})"),
        field("Model dependencies", dependency),
        field("Link to the summary of the base model", base_summary, "provider"),
        field("Date of placement of the model on the Union market", None),
    ]


def _tokens(traced: Traced) -> int | None:
    counts = [n.details.get("tokens") for n in traced.of_kind(kinds.TOKENS)]
    known = [count for count in counts if isinstance(count, int)]
    return sum(known) if known and len(known) == len(counts) else None


def _characteristics(traced: Traced, base_summary: str | None) -> list[Field]:
    tokens, found = _tokens(traced), sources(traced)
    formats = sorted({name for s in found for name in s["formats"]})
    languages = sorted(
        {
            str(language)
            for step in processing(traced)
            if step["name"] == "language_filter"
            for language in step["parameters"].get("languages") or []
        }
    )
    dates = read_dates(traced, kinds.TEXT)
    return [
        field("Modality", "Text" if tokens is not None else None),
        field("Training data size (text)", size_range(tokens)),
        field("Training data size, exact", f"{tokens} tokens" if tokens is not None else None),
        field("Types of content", ", ".join(f"text extracted from {f}" for f in formats)),
        field("Latest date of data acquisition (extraction run)", dates[-1] if dates else None),
        field(
            "Linguistic characteristics",
            f"{', '.join(languages)} (curation kept only text identified as these languages)"
            if languages
            else None,
        ),
        field("Other relevant characteristics", None),
    ]


def _listed(source: dict[str, Any]) -> dict[str, Any]:
    declared = source["declaration"] or {}
    return {
        "name": declared.get("public_name"),
        "kind": declared.get("kind"),
        "licence": declared.get("licence"),
        "location": source["uri"],
        "documents": source["documents"],
        "bytes": source["bytes"],
        "document_dates": source["modified"],
    }


def _sources_of(number: str) -> Callable[[Traced, str | None], list[Field]]:
    wanted = {kind.value for kind in KIND_SECTIONS[number]}

    def build(traced: Traced, base_summary: str | None) -> list[Field]:
        found = sources(traced)
        declared = [_listed(s) for s in found if (s["declaration"] or {}).get("kind") in wanted]
        undeclared = any(s["declaration"] is None for s in found)
        if declared:
            fields = [
                field("Used", "Yes", "declaration"),
                field("Sources", declared, "declaration"),
            ]
        elif undeclared:  # an undeclared source may be of this kind: the lineage cannot say
            fields = [field("Used", None), field("Sources", None)]
        else:
            fields = [field("Used", "No", "declaration"), field("Sources", "None", "declaration")]
        if number == "2.3":
            domains = sorted({d for s in declared if (d := _domain(s["location"]))})
            fields.append(field("Most relevant domain names", domains or None))
            fields.append(field("Crawlers used, purposes and collection period", None))
        return fields

    return build


def _domain(uri: str) -> str | None:
    scheme, _, rest = uri.partition("://")
    if scheme not in ("http", "https"):
        return None
    return rest.split("/", 1)[0] or None


def _undeclared(traced: Traced, base_summary: str | None) -> list[Field]:
    missing = [_listed(s)["location"] for s in sources(traced) if s["declaration"] is None]
    if not missing:
        return [field("Sources without a declaration", "None: every source is declared")]
    return [
        field("Sources without a declaration", missing),
        field("Kind of each source without a declaration", None),
    ]


def _opt_outs(traced: Traced, base_summary: str | None) -> list[Field]:
    stated = [
        f"{s['uri']}: "
        + {True: "respected", False: "not respected", None: "not declared"}[
            (s["declaration"] or {}).get("opt_out_respected")
        ]
        for s in sources(traced)
    ]
    return [
        field("Opt-outs respected, per source (as declared)", stated, "declaration"),
        field("Measures to identify and respect reservations of rights", None),
    ]


def _illegal_content(traced: Traced, base_summary: str | None) -> list[Field]:
    return [field("Measures to remove illegal content", None)]


def _other(traced: Traced, base_summary: str | None) -> list[Field]:
    steps = [f"{step['name']} ({step['library']} {step['version']})" for step in processing(traced)]
    return [field("Processing steps recorded in the lineage", steps)]
