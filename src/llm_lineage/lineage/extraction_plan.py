"""Where an extraction run reads and writes, and how: the plan every extraction builder takes."""

from __future__ import annotations

from dataclasses import dataclass

from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.declaration import SourceDeclaration


@dataclass(frozen=True)
class ExtractionPlan:
    """Where a run reads and writes, known before it starts."""

    source: str
    text: str
    manifest: str
    settings: ExtractionSettings
    author_policy: AuthorPolicy = AuthorPolicy.INCLUDE
    author_salt: str | None = None
    #: Outputs that existed before the run (OVERWRITE rather than CREATE).
    replaced: frozenset[str] = frozenset()
    #: What the pipeline's operator declared about the source (kind, licence, ...), if anything.
    declaration: SourceDeclaration | None = None
