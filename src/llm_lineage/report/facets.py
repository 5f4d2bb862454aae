"""Reading facets defensively: a missing, mistyped or unknown facet is a gap, never a crash.

Events may come from older or newer versions of this provider, or be hand-edited. Every value
the report uses is read through these helpers, which return None (or an empty value) for
anything not of the expected type. ``screen`` drops ``llmLineage_*`` facets the report does not
know (a name it has no reader for, or a schema major version other than 1) and counts them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.report.tally import Tally

PREFIX = "llmLineage_"
#: The custom facets this report reads, by name after the prefix.
KNOWN = frozenset(
    {
        "documentCollection",
        "transformations",
        "tokenization",
        "loraAdapter",
        "training",
        "resourceUsage",
        "eventBounds",
    }
)


def screen(facets: Any, tally: Tally) -> dict[str, Any]:
    """The facets dict without unknown or malformed llmLineage facets (each one counted)."""
    if not isinstance(facets, dict):
        return {}
    if PREFIX not in " ".join(facets):  # the common case, checked at C speed
        return facets
    kept = {}
    for key, value in facets.items():
        if key.startswith(PREFIX) and not _known(key, value):
            tally.unknown_facets += 1
            continue
        kept[key] = value
    return kept


def _known(key: str, value: Any) -> bool:
    if key[len(PREFIX) :] not in KNOWN or not isinstance(value, dict):
        return False
    url = value.get("_schemaURL")
    return not isinstance(url, str) or "/facets/1-" in url


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def at(data: Any, *path: str) -> Any:
    """The value at ``path`` in nested dicts, or None."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def text(data: Any, *path: str) -> str | None:
    value = at(data, *path)
    return value if isinstance(value, str) else None


def integer(data: Any, *path: str) -> int | None:
    value = at(data, *path)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def number(data: Any, *path: str) -> float | None:
    value = at(data, *path)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def items(data: Any, *path: str) -> list[dict[str, Any]]:
    """The dicts in a list at ``path`` (anything else in it is ignored)."""
    value = at(data, *path)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def custom(facets: Any, name: str) -> Mapping[str, Any]:
    """One of our facets by name (``documentCollection``), or an empty mapping."""
    return mapping(at(facets, PREFIX + name))


def version_of(facets: Any) -> str | None:
    """The dataset's version: the standard ``version`` facet's ``datasetVersion``."""
    return text(facets, "version", "datasetVersion")
