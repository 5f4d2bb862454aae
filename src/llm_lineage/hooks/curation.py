"""TextCurationHook: curate extraction output (language, quality, personal data, duplicates)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import ClassVar

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.curation import (
    DECISIONS_FILE,
    TEXT_FILE,
    CurationFailed,
    CurationResult,
    CurationSettings,
    curate_corpus,
)
from llm_lineage.extraction.tables import content_of
from llm_lineage.hooks.base import StepHook, checked_text_source, text_source_info
from llm_lineage.hooks.storage import (
    local_copy,
    parquet_path,
    storage_path,
)
from llm_lineage.lineage.curation import CurationPlan, curation_footer, decisions_footer
from llm_lineage.lineage.naming import child_uri
from llm_lineage.lineage.standard_facets import SourceInfo

#: The files a curation publishes, as one unit.
OUTPUT_FILES = (TEXT_FILE, DECISIONS_FILE)


class CurationSourceError(LlmLineageError, ValueError):
    """The source is missing or is not a Parquet file of extracted text."""


@dataclass(frozen=True)
class CurationRun:
    plan: CurationPlan
    info: SourceInfo
    result: CurationResult


class TextCurationHook(StepHook):
    """Curate the text that DocumentExtractionOperator wrote, on any ObjectStoragePath.

    ``plan(source, destination, settings)`` names the run's input and outputs;
    ``curate(plan)`` does it. ``hook_lineage``, ``owner`` and ``lock_timeout`` are
    ``StepHook``'s.

    :param source_conn_id: Connection for the source's object store.
    :param destination_conn_id: Connection for the destination's object store.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = (
        "pyarrow",
        "lingua-language-detector",
        "datasketch",
    )

    hook_name = "Text curation"

    def __init__(
        self,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__(hook_lineage, owner, lock_timeout)
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id

    def plan(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        settings: CurationSettings | None = None,
    ) -> CurationPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file.

        ``source`` is an extraction's ``text.parquet`` or the folder holding it.
        """
        destination_uri = self._uri(storage_path(destination, self.destination_conn_id))
        return CurationPlan(
            source=self._uri(parquet_path(source, self.source_conn_id, TEXT_FILE)),
            output=child_uri(destination_uri, TEXT_FILE),
            decisions=child_uri(destination_uri, DECISIONS_FILE),
            settings=settings or CurationSettings(),
        )

    def source_info(self, plan: CurationPlan) -> SourceInfo:
        """Footer facts of the plan's source: schema, rows, content hash, the chain that made it."""
        return text_source_info(self._source(plan), CurationSourceError)

    def _source(self, plan: CurationPlan) -> ObjectStoragePath:
        return checked_text_source(
            self._path(plan.source, self.source_conn_id), CurationSourceError
        )

    def curate(self, plan: CurationPlan, *, info: SourceInfo | None = None) -> CurationRun:
        """Curate into the plan's destination; both files are published only if the run succeeds.

        ``info`` skips reading the source's footer again when the caller already did.
        """
        source_path = self._source(plan)
        info = info or text_source_info(source_path, CurationSourceError)
        if info.written_by not in (None, "extraction", "curation"):
            self.log.warning("%s was written by the %s step", plan.source, info.written_by)
        self.log.info(
            "Curating %d documents of %s into %s", info.rows or 0, plan.source, plan.output
        )
        destination = self._folder(plan.output, self.destination_conn_id)
        outputs = [plan.output, plan.decisions]
        with (
            self._reported([plan.source], outputs, CurationFailed),
            self._publication(destination, OUTPUT_FILES) as unit,
        ):
            result = curate_corpus(
                local_copy(source_path, unit.scratch),
                unit.output,
                plan.settings,
                self.log,
                footer=lambda done: unit.stamp(curation_footer(plan, info, done)),
                decisions_footer=lambda _: unit.stamp(decisions_footer()),
                content=content_of,
            )
            replaced = unit.publish(last=TEXT_FILE)
        assert result.text is not None and result.decisions is not None
        result.text = replace(result.text, uri=plan.output)
        result.decisions = replace(result.decisions, uri=plan.decisions)
        self.log.info(
            "Wrote %d of %d documents to %s, version %s; decisions in %s",
            result.documents_out,
            result.documents_in,
            plan.output,
            result.text.content_hash,
            plan.decisions,
        )
        names = {TEXT_FILE: plan.output, DECISIONS_FILE: plan.decisions}
        done = replace(plan, replaced=frozenset(names[name] for name in replaced))
        return CurationRun(done, info, result)
