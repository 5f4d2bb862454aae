"""How a curated text dataset was made: the rules, their settings, and what each one did.

Counts only: how many documents each rule dropped, how many items of personal data of each kind
were found, the languages seen. Never a value found, never any text. Per-document decisions are
in the decisions dataset that ``decisionsUri`` names.
"""

from __future__ import annotations

from typing import Any

import attr
from openlineage.client.generated.base import DatasetFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class RuleCount(RedactMixin):
    """Documents one rule dropped (``language``, ``quality.<check>``, ``near_duplicate``...)."""

    rule: str
    documents: int


@attr.define
class PiiCount(RedactMixin):
    """Items of personal data of one kind found in all documents read."""

    kind: str
    found: int


@attr.define
class LanguageCount(RedactMixin):
    language: str
    documents: int


@attr.define
class CurationLibrary(RedactMixin):
    name: str
    version: str


@attr.define
class LlmLineageCurationDatasetFacet(ProducedHere, DatasetFacet):
    documentsIn: int
    documentsOut: int
    documentsDropped: int
    documentsChanged: int
    """Documents kept with their text changed (personal data redacted)."""
    charactersIn: int
    charactersOut: int
    charactersDropped: int
    """Characters of the documents dropped: text that will not be tokenized or trained on."""
    dropped: list[RuleCount]
    piiMode: str
    piiFound: list[PiiCount]
    piiDocuments: int
    settings: dict[str, Any]
    """Every rule's setting: languages, thresholds, MinHash parameters, PII mode and kinds."""
    libraries: list[CurationLibrary]
    languages: list[LanguageCount] = attr.field(factory=list)
    """Languages identified among the documents read, most frequent first (capped)."""
    decisionsUri: str | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageCurationDatasetFacet", VERSION)
