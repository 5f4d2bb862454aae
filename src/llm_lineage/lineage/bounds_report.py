"""What the event bounds changed, counted as they go, and the facet that reports it.

``Report`` escapes and cuts strings by the rule (``MAX_STRING``, ``MAX_MULTILINE_STRING``)
and counts every change; ``bounds_facet`` turns it into ``llmLineage_eventBounds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from llm_lineage.facets import LlmLineageEventBoundsRunFacet, Truncation
from llm_lineage.lineage.escaping import cut, escape_controls

#: Characters of an ordinary string (a title, an author, a URI: Linux paths stop at 4096 bytes).
MAX_STRING = 4096
#: Characters of a string in a multi-line field (descriptions, error messages, stack traces).
MAX_MULTILINE_STRING = 16384
#: Truncations listed in llmLineage_eventBounds (all are counted), and the length of each path.
MAX_REPORTED = 32
MAX_PATH = 256


@dataclass
class Report:
    """What the guard changed, for llmLineage_eventBounds."""

    cleaned: int = 0
    cut: int = 0
    non_finite: int = 0
    #: path -> [kept, original]: the original count is the one first seen.
    truncations: dict[str, list[int]] = field(default_factory=dict)

    def truncated(self, path: str, kept: int, original: int) -> None:
        self.truncations.setdefault(path, [kept, original])[0] = kept

    @property
    def changed(self) -> bool:
        return bool(self.cleaned or self.cut or self.non_finite or self.truncations)

    def clean(self, text: str, multiline: bool) -> str:
        """``text`` escaped and cut by the rule, counted when changed."""
        clean = escape_controls(text.replace("\r\n", "\n") if multiline else text, multiline)
        if clean != text:
            self.cleaned += 1
        limit = MAX_MULTILINE_STRING if multiline else MAX_STRING
        if len(clean) > limit:
            self.cut += 1
            clean = cut(clean, limit)
        return clean if clean != text else text


def bounds_facet(
    report: Report, budget: int, before: int, after: int
) -> LlmLineageEventBoundsRunFacet:
    """The facet; its truncations list the coarsest first (datasets, then facets, then lists)."""
    entries = sorted(report.truncations.items(), key=lambda entry: depth(entry[0]))
    return LlmLineageEventBoundsRunFacet(
        budgetBytes=budget,
        bytesBefore=before,
        bytesAfter=after,
        truncations=[
            Truncation(path=cut(escape_controls(path), MAX_PATH), kept=kept, original=original)
            for path, (kept, original) in entries[:MAX_REPORTED]
        ],
        truncationCount=len(entries),
        stringsCleaned=report.cleaned,
        stringsCut=report.cut,
        nonFiniteNumbers=report.non_finite,
    )


def depth(path: str) -> int:
    return path.count(".") + path.count("[")
