"""DocumentExtractionOperator: documents in, text and manifest Parquet out, lineage reported."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from llm_lineage.extraction import DEFAULT_INCLUDE, ExtractionFailed, ExtractionSettings
from llm_lineage.hooks.extraction import DocumentExtractionHook, ExtractionRun
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_lineage
from llm_lineage.lineage.standard_facets import StepLineage
from llm_lineage.operators.assets import (
    declare_assets,
    extraction_assets,
    fixed_location_uri,
    publish_assets,
)
from llm_lineage.operators.base import StepOperator
from llm_lineage.operators.catalog_link import CatalogLink
from llm_lineage.operators.concealed import Concealed, conceal, revealed
from llm_lineage.operators.validation import (
    choice,
    environment_names,
    location,
    validated,
)
from llm_lineage.operators.validation import source_declaration as declared

if TYPE_CHECKING:
    import jinja2
    from airflow.sdk import Context

    from llm_lineage.extraction import ExtractionResult


_DEFAULTS = ExtractionSettings()


class DocumentExtractionOperator(StepOperator[DocumentExtractionHook, ExtractionRun], BaseOperator):
    """Extract text and metadata from PDF, DOCX, HTML, Markdown and text documents.

    Writes ``text.parquet`` (one row per document, with its text) and ``manifest.parquet``
    (every selected document, with status and error, no text) into ``destination``, atomically.
    Returns a dict with both URIs, counts and the text dataset's content hash. Both files are
    Airflow Assets with an event per run, and a literal ``source`` is an inlet asset
    (``operators/assets.py``).

    :param source: Folder (read recursively) or file; a local path or a URL (s3://, gs://, ...).
        Templated.
    :param destination: Folder for the outputs. Templated.
    :param include: Glob patterns of files to read; without ``/`` they match file names.
    :param exclude: Glob patterns of files to skip.
    :param on_error: ``"skip"`` records a bad document and goes on (the task fails only if all
        fail); ``"fail"`` fails the task at the first bad document, naming it.
    :param author_policy: How author names appear in lineage: ``"include"``, ``"hash"`` (a salted,
        stable token) or ``"omit"``.
    :param author_salt: Salt for ``"hash"``; use a secret Variable. Templated; once rendered it
        is masked in logs and shown as ``***`` in rendered fields and events.
    :param max_document_bytes: Documents larger than this (listed, or as actually read) are
        recorded as failures.
    :param max_document_characters: Documents whose text is longer are recorded as failures.
    :param max_expanded_bytes: Packaged documents (DOCX) whose parts expand to more than this
        are recorded as failures before they are inflated.
    :param max_document_seconds: Wall time one document may take to parse; past it, its reader
        process is killed and replaced, and the document recorded as failed.
    :param max_document_memory_bytes: Memory one reader process may use for a document beyond
        what it holds at rest (an address-space limit, Linux).
    :param workers: Reader processes; None: one per core available to the task; 0: parse in
        the task's process, without the time and memory limits.
    :param follow_symlinks_outside_source: Read files that symlinks inside ``source`` point to
        outside it (refused by default, so a link cannot pull in files the corpus does not own).
    :param source_conn_id: Connection for the source's object store. Templated; empty is none.
    :param destination_conn_id: Connection for the destination's object store. Templated;
        empty is none.
    :param environment_variables: Names of environment variables to record in lineage (the
        standard ``environmentVariables`` run facet); names that look like secrets are refused
        here, and values that look like credentials are dropped at run time.
    :param source_declaration: What you declare about the source: ``kind`` (``public_dataset``,
        ``licensed_private``, ``other_private``, ``crawled``, ``user_data``, ``synthetic``,
        ``other``), ``licence``, ``opt_out_respected`` (true/false) and ``public_name``; a dict
        or the path of a YAML file, read and checked when the DAG is parsed. Carried in the
        document-collection facet and the text and manifest footers, read by
        ``llm-lineage report licence`` and ``llm-lineage export ai-act-summary``.
    """

    template_fields: Sequence[str] = (
        "source",
        "destination",
        "author_salt",
        "source_conn_id",
        "destination_conn_id",
    )
    step_failure = ExtractionFailed
    ui_color = "#e8f0fe"
    operator_extra_links = (CatalogLink(),)
    catalog_output = "text"  # the key of the return value that CatalogLink opens
    step_libraries = DocumentExtractionHook.step_libraries

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
        max_document_bytes: int = _DEFAULTS.max_document_bytes,
        max_document_characters: int = _DEFAULTS.max_document_characters,
        max_expanded_bytes: int = _DEFAULTS.max_expanded_bytes,
        max_document_seconds: float = _DEFAULTS.max_document_seconds,
        max_document_memory_bytes: int = _DEFAULTS.max_document_memory_bytes,
        workers: int | None = None,
        follow_symlinks_outside_source: bool = False,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        environment_variables: Sequence[str] = (),
        source_declaration: Mapping[str, Any] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self._task_label
        self.source = location(owner, "source", source)
        self.destination = location(owner, "destination", destination)
        self.settings = validated(
            owner,
            ExtractionSettings,
            include=include,
            exclude=exclude,
            on_error=on_error,
            max_document_bytes=max_document_bytes,
            max_document_characters=max_document_characters,
            max_expanded_bytes=max_expanded_bytes,
            max_document_seconds=max_document_seconds,
            max_document_memory_bytes=max_document_memory_bytes,
            workers=workers,
            follow_symlinks_outside_source=follow_symlinks_outside_source,
        )
        self.author_policy = choice(owner, "author_policy", author_policy, AuthorPolicy)
        self.author_salt: str | Concealed | None = author_salt
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.environment_variables = environment_names(owner, environment_variables)
        self.source_declaration = declared(owner, source_declaration)
        declare_assets(self, fixed_location_uri(self.source, source_conn_id))
        self._run: ExtractionRun | None = None
        self._partial: ExtractionResult | None = None

    def _do_render_template_fields(
        self,
        parent: Any,
        template_fields: Iterable[str],
        context: Context,
        jinja_env: jinja2.Environment,
        seen_oids: set[int],
    ) -> None:
        """Render, then conceal the salt before Airflow stores the rendered fields.

        Whoever can view the DAG sees its rendered fields; with the salt they could recompute
        author tokens. This is the method both plain and mapped tasks render through.
        """
        super()._do_render_template_fields(parent, template_fields, context, jinja_env, seen_oids)
        if parent is self:
            self.author_salt = conceal(self.author_salt)

    def _make_hook(self) -> DocumentExtractionHook:
        return DocumentExtractionHook(
            source_conn_id=self.source_conn_id or None,  # a rendered "" is no connection
            destination_conn_id=self.destination_conn_id or None,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> ExtractionPlan:
        salt = revealed(self.author_salt)
        return self.hook.plan(
            self.source,
            self.destination,
            self.settings,
            self.author_policy,
            salt,
            self.source_declaration,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        plan = self._plan()
        run = self._run_step(context, lambda: self.hook.extract(plan))
        result = run.result
        assert result.text_output is not None and result.manifest_output is not None
        publish_assets(context, self, extraction_assets(run))
        return {
            "text": run.plan.text,
            "manifest": run.plan.manifest,
            "documents": result.summary.documents,
            "failed": result.failure_count,
            "version": result.text_output.content_hash,
        }

    def _lineage(self, run: ExtractionRun | None, failed: bool) -> StepLineage:
        if run is not None:
            return extraction_lineage(run.plan, run.result)
        return extraction_lineage(self._plan(), self._partial if failed else None, failed=failed)
