"""DocumentExtractionOperator: documents in, text and manifest Parquet out, lineage reported."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.openlineage.extractors import OperatorLineage
from airflow.sdk import BaseOperator

from llm_lineage.extraction import DEFAULT_INCLUDE, ExtractionFailed, ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook, ExtractionRun
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage
from llm_lineage.operators.lineage import operator_lineage
from llm_lineage.operators.validation import choice, location, validated

if TYPE_CHECKING:
    from airflow.sdk import Context

    from llm_lineage.extraction import ExtractionResult


class DocumentExtractionOperator(BaseOperator):
    """Extract text and metadata from PDF, DOCX, HTML, Markdown and text documents.

    Writes ``text.parquet`` (one row per document, with its text) and ``manifest.parquet``
    (every selected document, with status and error, no text) into ``destination``, atomically.
    Returns a dict with both URIs, counts and the text dataset's content hash.

    :param source: Folder (read recursively) or file; a local path or a URL (s3://, gs://, ...).
        Templated.
    :param destination: Folder for the outputs. Templated.
    :param include: Glob patterns of files to read; without ``/`` they match file names.
    :param exclude: Glob patterns of files to skip.
    :param on_error: ``"skip"`` records a bad document and goes on (the task fails only if all
        fail); ``"fail"`` fails the task at the first bad document, naming it.
    :param author_policy: How author names appear in lineage: ``"include"``, ``"hash"`` (a salted,
        stable token) or ``"omit"``.
    :param author_salt: Salt for ``"hash"``; use a secret Variable. Templated.
    :param max_document_bytes: Documents larger than this are recorded as failures, not read.
    :param source_conn_id: Connection for the source's object store.
    :param destination_conn_id: Connection for the destination's object store.
    """

    template_fields: Sequence[str] = ("source", "destination", "author_salt")
    ui_color = "#e8f0fe"

    def __init__(
        self,
        *,
        source: str,
        destination: str,
        include: Sequence[str] = DEFAULT_INCLUDE,
        exclude: Sequence[str] = (),
        on_error: str = "skip",
        author_policy: str = "include",
        author_salt: str | None = None,
        max_document_bytes: int = ExtractionSettings().max_document_bytes,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = f"{type(self).__name__}(task_id={self.task_id!r})"
        self.source = location(owner, "source", source)
        self.destination = location(owner, "destination", destination)
        self.settings = validated(
            owner,
            ExtractionSettings,
            include=include,
            exclude=exclude,
            on_error=on_error,
            max_document_bytes=max_document_bytes,
        )
        self.author_policy = choice(owner, "author_policy", author_policy, AuthorPolicy)
        self.author_salt = author_salt
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self._run: ExtractionRun | None = None
        self._partial: ExtractionResult | None = None

    @property
    def hook(self) -> DocumentExtractionHook:
        return DocumentExtractionHook(
            source_conn_id=self.source_conn_id,
            destination_conn_id=self.destination_conn_id,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> ExtractionPlan:
        return self.hook.plan(
            self.source, self.destination, self.settings, self.author_policy, self.author_salt
        )

    def execute(self, context: Context) -> dict[str, Any]:
        try:
            self._run = self.hook.extract(
                self.source, self.destination, self.settings, self.author_policy, self.author_salt
            )
        except ExtractionFailed as failure:
            self._partial = failure.result
            raise
        result, plan = self._run.result, self._run.plan
        assert result.text_output is not None and result.manifest_output is not None
        return {
            "text": plan.text,
            "manifest": plan.manifest,
            "documents": result.summary.documents,
            "failed": result.failure_count,
            "version": result.text_output.content_hash,
        }

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        return operator_lineage(extraction_lineage(self._plan(), None))

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        if self._run is None:
            return self.get_openlineage_facets_on_start()
        return operator_lineage(extraction_lineage(self._run.plan, self._run.result))

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage:
        """What the run got through before it failed: the input, counts and every error."""
        return operator_lineage(extraction_lineage(self._plan(), self._partial, failed=True))
