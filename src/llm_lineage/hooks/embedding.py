"""EmbeddingHook: resolve a sentence-transformers model, embed extracted text, publish vectors."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from airflow.sdk import ObjectStoragePath

from llm_lineage.embedding import (
    DEFINING_PATTERNS,
    EMBEDDINGS_FILE,
    EmbeddingFailed,
    EmbeddingModelError,
    EmbeddingSettings,
    LoadedModel,
    ModelFiles,
    VectorStoreError,
    embed_corpus,
    load_model,
    model_location,
    resolve_local_copy,
    resolve_model,
    write_lance_table,
)
from llm_lineage.extraction import TEXT_FILE
from llm_lineage.hooks.base import StepHook, checked_text_source, text_source_info
from llm_lineage.hooks.model_cache import local_model_copy
from llm_lineage.hooks.openlineage_run import current_run
from llm_lineage.hooks.storage import (
    is_remote,
    local_copy,
    location_uri,
    parquet_path,
    storage_path,
)
from llm_lineage.hooks.tokenization import SourceError
from llm_lineage.lineage.dataset_card import CARD_FILE, dataset_card
from llm_lineage.lineage.embedding import Embedded, EmbeddingPlan, embedding_footer
from llm_lineage.lineage.naming import child_uri
from llm_lineage.lineage.standard_facets import SourceInfo


@dataclass(frozen=True)
class EmbeddingRun:
    plan: EmbeddingPlan
    done: Embedded


class EmbeddingHook(StepHook):
    """Embed the text that DocumentExtractionOperator (or a curation step) wrote.

    ``plan(source, destination, model, ...)`` names the run's inputs and outputs;
    ``embed(plan)`` does it. ``hook_lineage``, ``owner`` and ``lock_timeout`` are ``StepHook``'s.

    :param hub_conn_id: Connection whose password is a Hugging Face token (private hub ids).
    :param source_conn_id: Connection for the source's object store.
    :param destination_conn_id: Connection for the destination's object store.
    :param model_conn_id: Connection for a model folder in an object store.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = (
        "pyarrow",
        "sentence-transformers",
        "transformers",
        "torch",
        "lancedb",
    )

    hook_name = "Embedding"

    def __init__(
        self,
        hub_conn_id: str | None = None,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        model_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__(hook_lineage, owner, lock_timeout)
        self.hub_conn_id = hub_conn_id
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.model_conn_id = model_conn_id

    def resolve_model(self, spec: str, revision: str | None = None) -> ModelFiles:
        """The model's local folder and fingerprint (downloads a hub id; no torch).

        An object store's folder (``s3://bucket/models/name``) is downloaded once per worker,
        subfolders such as ``1_Pooling/`` included (``hooks/model_cache.py``), and named in
        lineage by its URI; its fingerprint is the content's, the same as a local copy's.
        """
        if is_remote(spec):
            return self._remote_model(spec)
        return resolve_model(spec, revision=revision, token=self._password(self.hub_conn_id))

    def _remote_model(self, spec: str) -> ModelFiles:
        path = storage_path(spec, self.model_conn_id)
        uri = location_uri(path)
        try:
            folder = local_model_copy(
                path, DEFINING_PATTERNS, self.log, subfolders=True, prefer_safetensors=False
            )
        except OSError as error:
            raise EmbeddingModelError(f"embedding model {uri} cannot be read: {error}") from error
        return resolve_local_copy(uri, folder)

    def _model_location(self, spec: str) -> str:
        if is_remote(spec):
            return location_uri(storage_path(spec, self.model_conn_id))
        return model_location(spec)

    def load_model(self, files: ModelFiles, settings: EmbeddingSettings) -> LoadedModel:
        return load_model(files, settings.device, self.log)

    def plan(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        model: str,
        settings: EmbeddingSettings | None = None,
        revision: str | None = None,
        vector_store: str | None = None,
        vector_table: str = "embeddings",
        cost_per_hour: float | None = None,
        currency: str = "USD",
    ) -> EmbeddingPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file."""
        destination_uri = self._uri(storage_path(destination, self.destination_conn_id))
        return EmbeddingPlan(
            source=self._uri(parquet_path(source, self.source_conn_id, TEXT_FILE)),
            output=child_uri(destination_uri, EMBEDDINGS_FILE),
            model=model,
            model_location=self._model_location(model),
            settings=settings or EmbeddingSettings(),
            revision=revision,
            vector_store=vector_store,
            vector_table=vector_table,
            cost_per_hour=cost_per_hour,
            currency=currency,
        )

    def source_info(self, plan: EmbeddingPlan) -> SourceInfo:
        """Footer facts of the plan's source: schema, rows, content hash, chain, provenance."""
        return text_source_info(self._source(plan), SourceError)

    def _source(self, plan: EmbeddingPlan) -> ObjectStoragePath:
        return checked_text_source(self._path(plan.source, self.source_conn_id), SourceError)

    def embed(
        self,
        plan: EmbeddingPlan,
        *,
        model: LoadedModel | None = None,
        info: SourceInfo | None = None,
    ) -> EmbeddingRun:
        """Embed into the plan's destination, published only if the run succeeds.

        ``model`` and ``info`` skip loading the model and reading the source's footer again
        when the caller already did (the operator does, to report them if the run fails).
        """
        model = model or self.load_model(
            self.resolve_model(plan.model, plan.revision), plan.settings
        )
        source_path = self._source(plan)
        info = info or text_source_info(source_path, SourceError)
        self.log.info(
            "Embedding %d documents of %s with %s into %s",
            info.rows or 0,
            plan.source,
            model.files.source,
            plan.output,
        )
        destination = self._folder(plan.output, self.destination_conn_id)
        outputs = [plan.output, *([plan.table_uri] if plan.table_uri else [])]
        with (
            self._reported([plan.source, plan.model_location], outputs, EmbeddingFailed),
            self._publication(destination, (EMBEDDINGS_FILE, CARD_FILE)) as unit,
        ):
            local_source = local_copy(source_path, unit.scratch)
            footer = unit.stamp(embedding_footer(plan, model, info))
            result = embed_corpus(
                local_source, unit.output, model, plan.settings, self.log, footer=lambda _: footer
            )
            assert result.output is not None
            result.output = replace(result.output, uri=plan.output)
            done = Embedded(model, info, result)
            self._store(plan, unit.output / EMBEDDINGS_FILE, done)
            run = current_run()
            card = dataset_card(plan, done, run.run_id if run else None)
            (unit.output / CARD_FILE).write_text(card, encoding="utf-8")
            replaced = EMBEDDINGS_FILE in unit.publish(last=EMBEDDINGS_FILE)
        self.log.info(
            "Wrote %d chunks to %s, version %s",
            result.chunks,
            plan.output,
            result.output.content_hash,
        )
        return EmbeddingRun(replace(plan, replaced=replaced), done)

    def _store(self, plan: EmbeddingPlan, embeddings: Path, done: Embedded) -> None:
        """Write the LanceDB table the plan names, before the Parquet is published."""
        result = done.result
        if plan.vector_store is None or result is None or result.output is None:
            return
        try:
            table = write_lance_table(
                embeddings,
                plan.vector_store,
                plan.vector_table,
                result.output.content_hash,
                self.log,
            )
        except VectorStoreError as error:
            raise EmbeddingFailed(str(error), result) from error
        result.vector_store_version = table.version
