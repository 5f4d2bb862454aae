"""TextCurationOperator: extracted text in, curated text and per-document decisions out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from llm_lineage.curation import CurationFailed, CurationSettings
from llm_lineage.hooks.curation import CurationRun, TextCurationHook
from llm_lineage.lineage.curation import CurationPlan, curation_lineage
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.operators.assets import curation_assets, declare_assets, publish_assets
from llm_lineage.operators.base import StepOperator
from llm_lineage.operators.catalog_link import CatalogLink
from llm_lineage.operators.validation import environment_names, location, validated

if TYPE_CHECKING:
    from airflow.sdk import Context

    from llm_lineage.curation import CurationResult

#: The rule settings the operator takes as keyword parameters (CurationSettings' fields).
RULE_PARAMETERS = tuple(CurationSettings.model_fields)


class TextCurationOperator(StepOperator[TextCurationHook, CurationRun], BaseOperator):
    """Keep the documents worth training on: language, quality, personal data, duplicates.

    Reads the text DocumentExtractionOperator wrote and writes, into ``destination``, the kept
    documents as ``text.parquet`` (the extraction's layout, so TokenizationOperator reads it
    unchanged) and ``decisions.parquet`` (one row per document read: kept or not, why, the
    document it duplicates, its language, quality measures, counts of personal data by kind).
    Rules run in this order: language, quality, personal data, duplicates.

    :param source: The extraction output: its ``text.parquet`` or the folder holding it. Templated.
    :param destination: Folder for ``text.parquet`` and ``decisions.parquet``. Templated.
    :param languages: ISO 639-1 codes to keep (``["en"]``); None (default) keeps every language.
    :param pii: ``"redact"`` (default: typed placeholders such as ``<EMAIL>``), ``"drop"`` the
        document, ``"flag"`` (count only) or ``"off"``.
    :param source_conn_id: Connection for the source's object store. Templated; empty is none.
    :param destination_conn_id: Connection for the destination's object store. Templated.
    :param environment_variables: Names of environment variables to record in lineage (names
        that look like secrets are refused here).

    Every other field of ``CurationSettings`` is a keyword parameter too, with its default:
    ``language_min_confidence=0.5``, ``language_sample_characters=10000``, ``quality=True``,
    ``min_words=50``, ``max_words=100000``, ``min_mean_word_length=3``,
    ``max_mean_word_length=10``, ``max_symbol_word_ratio=0.1``, ``max_bullet_lines_ratio=0.9``,
    ``max_ellipsis_lines_ratio=0.3``, ``max_duplicate_lines_ratio=0.3``,
    ``max_duplicate_paragraphs_ratio=0.3``, ``min_alphabetic_words_ratio=0.8`` (None turns one
    check off), ``pii_kinds=("email", "iban", "card", "ip", "phone")``, ``deduplicate=True``,
    ``shingle_size=5``, ``num_perm=128``, ``jaccard_threshold=0.7``, ``minhash_seed=1``,
    ``batch_size=256``, ``row_group_rows=1000``, ``progress_interval=10``.
    """

    template_fields: Sequence[str] = (
        "source",
        "destination",
        "source_conn_id",
        "destination_conn_id",
    )
    step_failure = CurationFailed
    ui_color = "#fef7e0"
    operator_extra_links = (CatalogLink(),)
    catalog_output = "text"  # the key of the return value that CatalogLink opens
    step_libraries = TextCurationHook.step_libraries

    def __init__(
        self,
        *,
        source: str,
        destination: str,
        languages: Sequence[str] | str | None = None,
        pii: str = "redact",
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        environment_variables: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        rules = {name: kwargs.pop(name) for name in RULE_PARAMETERS if name in kwargs}
        super().__init__(**kwargs)
        owner = self._task_label
        self.source = location(owner, "source", source)
        self.destination = location(owner, "destination", destination)
        self.settings = validated(owner, CurationSettings, languages=languages, pii=pii, **rules)
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.environment_variables = environment_names(owner, environment_variables)
        declare_assets(self)  # its input, the text, is an asset through extraction's events
        self._run: CurationRun | None = None
        self._info: SourceInfo | None = None
        self._partial: CurationResult | None = None

    def _make_hook(self) -> TextCurationHook:
        return TextCurationHook(
            source_conn_id=self.source_conn_id or None,  # a rendered "" is no connection
            destination_conn_id=self.destination_conn_id or None,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> CurationPlan:
        return self.hook.plan(self.source, self.destination, self.settings)

    def execute(self, context: Context) -> dict[str, Any]:
        plan = self._plan()
        self._info = info = self.hook.source_info(plan)
        run = self._run_step(context, lambda: self.hook.curate(plan, info=info), inputs=[info])
        result = run.result
        assert result.text is not None and result.decisions is not None
        publish_assets(context, self, curation_assets(run))
        return {
            "text": run.plan.output,
            "decisions": run.plan.decisions,
            "documents_in": result.documents_in,
            "documents": result.documents_out,
            "dropped": dict(result.reasons),
            "redacted_documents": result.documents_changed,
            "version": result.text.content_hash,
        }

    def _lineage(self, run: CurationRun | None, failed: bool) -> StepLineage:
        if run is not None:
            return curation_lineage(run.plan, run.info, run.result)
        if not failed:
            return curation_lineage(self._plan())
        return curation_lineage(self._plan(), self._info, self._partial, failed=True)
