"""EmbeddingOperator: extracted text in, chunk vectors out, the model and chunking in lineage."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from llm_lineage.embedding import EmbeddingFailed, EmbeddingSettings, LoadedModel
from llm_lineage.embedding.vector_store import TABLE_NAME
from llm_lineage.hooks.embedding import EmbeddingHook, EmbeddingRun
from llm_lineage.lineage.embedding import Embedded, EmbeddingPlan, embedding_lineage
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.operators.assets import declare_assets, embedding_assets, publish_assets
from llm_lineage.operators.base import StepOperator
from llm_lineage.operators.catalog_link import CatalogLink
from llm_lineage.operators.lora import _cost
from llm_lineage.operators.validation import (
    InvalidParameterError,
    environment_names,
    location,
    validated,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

    from llm_lineage.embedding import EmbeddingResult

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class EmbeddingOperator(StepOperator[EmbeddingHook, EmbeddingRun], BaseOperator):
    """Chunk the text that DocumentExtractionOperator wrote and embed each chunk.

    Writes ``embeddings.parquet`` into ``destination`` (``doc_id``, ``chunk_index``,
    ``start_char``, ``end_char``, ``token_count``, ``embedding`` as a fixed-size list of float32,
    and with ``include_text=True`` the chunk's ``text``) and a ``README.md`` dataset card; with
    ``vector_store``, also the LanceDB table ``vector_table`` in that database.

    :param source: The text: a ``text.parquet`` or the folder holding it. Templated.
    :param destination: Folder for ``embeddings.parquet``. Templated.
    :param model: A sentence-transformers model folder, an object store's folder
        (``s3://bucket/models/name``, downloaded once per worker) or a hub id. Templated.
    :param chunk_tokens: Tokens per chunk, by the model's tokenizer (special tokens not counted).
    :param overlap_tokens: Tokens shared by consecutive chunks of a document.
    :param normalize: Scale every vector to unit length.
    :param include_text: Store each chunk's text beside its offsets.
    :param batch_size: Chunks per encoder batch.
    :param device: ``cpu``, ``cuda``, ``cuda:<n>``, ``mps``; None picks the GPU when there is one.
    :param vector_store: A LanceDB database (folder or URI) to write the vectors into. Templated.
    :param vector_table: The table's name in that database.
    :param model_revision: Hub revision (branch, tag or commit). Templated.
    :param cost_per_hour: Price of one device-hour; the run's estimated cost goes into lineage.
    :param cost_currency: ISO 4217 code of ``cost_per_hour``.
    :param hub_conn_id: Connection whose password is a Hugging Face token.
    :param source_conn_id: Connection for the source's object store. Templated; empty is none.
    :param destination_conn_id: Connection for the destination's object store. Templated.
    :param model_conn_id: Connection for a model folder in an object store. Templated.
    :param environment_variables: Names of environment variables to report in lineage (the
        secrets rule applies: names that look like a secret's are refused at parse time).
    """

    template_fields: Sequence[str] = (
        "source",
        "destination",
        "model",
        "model_revision",
        "vector_store",
        "source_conn_id",
        "destination_conn_id",
        "model_conn_id",
    )
    step_failure = EmbeddingFailed
    ui_color = "#fdf3e1"
    operator_extra_links = (CatalogLink(),)
    catalog_output = "embeddings"
    step_libraries = EmbeddingHook.step_libraries

    def __init__(
        self,
        *,
        source: str,
        destination: str,
        model: str,
        chunk_tokens: int = 256,
        overlap_tokens: int = 32,
        normalize: bool = True,
        include_text: bool = False,
        batch_size: int = 64,
        device: str | None = None,
        vector_store: str | None = None,
        vector_table: str = "embeddings",
        model_revision: str | None = None,
        cost_per_hour: float | None = None,
        cost_currency: str = "USD",
        hub_conn_id: str | None = None,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        environment_variables: Sequence[str] = (),
        model_conn_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self._task_label
        self.source = location(owner, "source", source)
        self.destination = location(owner, "destination", destination)
        self.model = location(owner, "model", model)
        self.settings = validated(
            owner,
            EmbeddingSettings,
            chunk_tokens=chunk_tokens,
            overlap_tokens=overlap_tokens,
            normalize=normalize,
            include_text=include_text,
            batch_size=batch_size,
            device=device,
        )
        self.vector_store = (
            None if vector_store is None else location(owner, "vector_store", vector_store)
        )
        self.vector_table = _table(owner, vector_table)
        self.cost_per_hour = _cost(owner, cost_per_hour)
        if not isinstance(cost_currency, str) or not _CURRENCY.match(cost_currency):
            raise InvalidParameterError(
                f"{owner}: parameter 'cost_currency' must be an ISO 4217 code such as 'USD' "
                f"(got {cost_currency!r})"
            )
        self.cost_currency = cost_currency
        self.model_revision = model_revision
        self.hub_conn_id = hub_conn_id
        self.source_conn_id, self.destination_conn_id = source_conn_id, destination_conn_id
        self.model_conn_id = model_conn_id
        self.environment_variables = environment_names(owner, environment_variables)
        declare_assets(self)  # its input, the text, is an asset through extraction's events
        self._run: EmbeddingRun | None = None
        self._model: LoadedModel | None = None
        self._info: SourceInfo | None = None
        self._partial: EmbeddingResult | None = None

    def _make_hook(self) -> EmbeddingHook:
        return EmbeddingHook(
            hub_conn_id=self.hub_conn_id,
            source_conn_id=self.source_conn_id or None,  # a rendered "" is no connection
            destination_conn_id=self.destination_conn_id or None,
            model_conn_id=self.model_conn_id or None,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> EmbeddingPlan:
        return self.hook.plan(
            self.source,
            self.destination,
            self.model,
            self.settings,
            revision=self.model_revision,
            vector_store=self.vector_store,
            vector_table=self.vector_table,
            cost_per_hour=self.cost_per_hour,
            currency=self.cost_currency,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        plan = self._plan()
        self._info = info = self.hook.source_info(plan)
        files = self.hook.resolve_model(self.model, self.model_revision)
        self._model = model = self.hook.load_model(files, self.settings)
        run = self._run_step(
            context, lambda: self.hook.embed(plan, model=model, info=info), inputs=[info]
        )
        result = run.done.result
        assert result is not None and result.output is not None
        publish_assets(context, self, embedding_assets(run))
        return {
            "embeddings": run.plan.output,
            "chunks": result.chunks,
            "token_count": result.tokens,
            "documents": result.documents_embedded,
            "version": result.output.content_hash,
            "model_fingerprint": model.files.fingerprint,
            "vector_table": run.plan.table_uri,
            "table_version": result.vector_store_version,
        }

    def _lineage(self, run: EmbeddingRun | None, failed: bool) -> StepLineage:
        if run is not None:
            return embedding_lineage(run.plan, run.done)
        if not failed:
            return embedding_lineage(self._plan())
        done = Embedded(self._model, self._info, self._partial)
        return embedding_lineage(self._plan(), done, failed=True)


def _table(owner: str, value: Any) -> str:
    if not isinstance(value, str) or not TABLE_NAME.match(value):
        raise InvalidParameterError(
            f"{owner}: parameter 'vector_table' must be a table name of letters, digits, '_', "
            f"'-' and '.' (got {value!r})"
        )
    return value
