"""TokenizationOperator: extracted text in, token Parquet out, tokenizer and transforms in lineage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from llm_lineage.hooks.tokenization import TokenizationRun, TokenizerHook, declared_max_length
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.lineage.tokenization import TokenizationPlan, tokenization_lineage
from llm_lineage.operators.assets import declare_assets, publish_assets, tokenization_assets
from llm_lineage.operators.base import StepOperator
from llm_lineage.operators.catalog_link import CatalogLink
from llm_lineage.operators.validation import (
    InvalidParameterError,
    environment_names,
    location,
    validated,
)
from llm_lineage.tokenization import (
    DEFAULT_TRANSFORMS,
    LoadedTokenizer,
    TokenizationFailed,
    TokenizationSettings,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from llm_lineage.tokenization import TokenizationResult


class TokenizationOperator(StepOperator[TokenizerHook, TokenizationRun], BaseOperator):
    """Clean, filter and tokenize the text that DocumentExtractionOperator wrote.

    Writes ``tokens.parquet`` into ``destination``: per-document chunks (``doc_id``,
    ``chunk_index``, ``input_ids``, ``num_tokens``) or, with ``packing=True``, fixed blocks for
    causal-LM training (``block_index``, ``input_ids``, ``num_tokens``, ``doc_ids``). The file
    is an Airflow Asset with an event per run: DAGs scheduled on it run when new tokens land.

    :param source: The extraction output: its ``text.parquet`` or the folder holding it. Templated.
    :param destination: Folder for ``tokens.parquet``. Templated.
    :param tokenizer: A ``tokenizer.json``, a folder holding one, or a hub id; local or in an
        object store (``s3://bucket/models/name``, downloaded once per worker). Templated.
    :param transforms: Ordered text transforms before encoding: names or dicts, e.g.
        ``["unicode_normalize", "clean_whitespace", "deduplicate", {"name": "min_length",
        "chars": 200}]``.
    :param max_length: Tokens per chunk (without packing).
    :param stride: Tokens shared by consecutive chunks of a document.
    :param packing: Concatenate documents and cut ``block_size`` blocks instead of chunking.
    :param block_size: Tokens per packed block.
    :param add_eos: Append the tokenizer's end-of-text token to every document.
    :param tokenizer_revision: Hub revision (branch, tag or commit). Templated.
    :param hub_conn_id: Connection whose password is a Hugging Face token.
    :param source_conn_id: Connection for the source's object store. Templated; empty is none.
    :param destination_conn_id: Connection for the destination's object store. Templated.
    :param tokenizer_conn_id: Connection for a tokenizer in an object store. Templated.
    """

    template_fields: Sequence[str] = (
        "source",
        "destination",
        "tokenizer",
        "tokenizer_revision",
        "source_conn_id",
        "destination_conn_id",
        "tokenizer_conn_id",
    )
    step_failure = TokenizationFailed
    ui_color = "#e6f4ea"
    operator_extra_links = (CatalogLink(),)
    catalog_output = "tokens"  # the key of the return value that CatalogLink opens
    step_libraries = TokenizerHook.step_libraries

    def __init__(
        self,
        *,
        source: str,
        destination: str,
        tokenizer: str,
        transforms: Sequence[Any] = DEFAULT_TRANSFORMS,
        max_length: int | None = 1024,
        stride: int = 0,
        packing: bool = False,
        block_size: int = 1024,
        add_eos: bool = True,
        batch_size: int = 256,
        tokenizer_revision: str | None = None,
        hub_conn_id: str | None = None,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        environment_variables: Sequence[str] = (),
        tokenizer_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self._task_label
        self.source = location(owner, "source", source)
        self.destination = location(owner, "destination", destination)
        self.tokenizer = location(owner, "tokenizer", tokenizer)
        self.settings = validated(
            owner,
            TokenizationSettings,
            transforms=transforms,
            max_length=max_length,
            stride=stride,
            packing=packing,
            block_size=block_size,
            add_eos=add_eos,
            batch_size=batch_size,
        )
        _check_tokenizer_limit(owner, tokenizer, self.settings)
        self.tokenizer_revision = tokenizer_revision
        self.hub_conn_id = hub_conn_id
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.environment_variables = environment_names(owner, environment_variables)
        self.tokenizer_conn_id = tokenizer_conn_id
        declare_assets(self)  # its input, the text, is an asset through extraction's events
        self._run: TokenizationRun | None = None
        self._loaded: LoadedTokenizer | None = None
        self._info: SourceInfo | None = None
        self._partial: TokenizationResult | None = None

    def _make_hook(self) -> TokenizerHook:
        return TokenizerHook(
            hub_conn_id=self.hub_conn_id,
            source_conn_id=self.source_conn_id or None,  # a rendered "" is no connection
            destination_conn_id=self.destination_conn_id or None,
            tokenizer_conn_id=self.tokenizer_conn_id or None,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> TokenizationPlan:
        return self.hook.plan(
            self.source, self.destination, self.tokenizer, self.settings, self.tokenizer_revision
        )

    def execute(self, context: Context) -> dict[str, Any]:
        self._loaded = loaded = self.hook.load_tokenizer(self.tokenizer, self.tokenizer_revision)
        plan = self._plan()
        self._info = info = self.hook.source_info(plan)
        run = self._run_step(
            context, lambda: self.hook.tokenize(plan, loaded=loaded, info=info), inputs=[info]
        )
        result = run.result
        assert result.output is not None
        publish_assets(context, self, tokenization_assets(run))
        return {
            "tokens": run.plan.output,
            "sequences": result.sequences,
            "token_count": result.tokens,
            "documents": result.documents_out,
            "version": result.output.content_hash,
            "tokenizer_sha256": loaded.sha256,
        }

    def _lineage(self, run: TokenizationRun | None, failed: bool) -> StepLineage:
        if run is not None:
            return tokenization_lineage(run.plan, run.tokenizer, run.info, run.result)
        if not failed:
            return tokenization_lineage(self._plan())
        return tokenization_lineage(
            self._plan(), self._loaded, self._info, self._partial, failed=True
        )


def _check_tokenizer_limit(owner: str, tokenizer: str, settings: TokenizationSettings) -> None:
    """At parse time, when the tokenizer is a literal local path, check lengths against it."""
    if "{{" in tokenizer:
        return
    limit = declared_max_length(tokenizer)
    if limit is None:
        return
    parameter, value = (
        ("block_size", settings.block_size)
        if settings.packing
        else ("max_length", settings.max_length)
    )
    if value is not None and value > limit:
        raise InvalidParameterError(
            f"{owner}: parameter '{parameter}' is {value}, over the tokenizer's "
            f"model_max_length {limit} ({tokenizer})"
        )
