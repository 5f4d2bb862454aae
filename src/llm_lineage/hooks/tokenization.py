"""TokenizerHook: load a tokenizer (file, folder or hub), tokenize extraction output, publish."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import ClassVar

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.extraction import TEXT_FILE
from llm_lineage.hooks.base import StepHook, checked_text_source, text_source_info
from llm_lineage.hooks.model_cache import local_model_copy
from llm_lineage.hooks.storage import (
    is_remote,
    local_copy,
    location_uri,
    parquet_path,
    storage_path,
)
from llm_lineage.lineage.naming import child_uri
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.tokenization import TokenizationPlan, tokenization_footer
from llm_lineage.tokenization import (
    TOKENIZER_FILE,
    TOKENS_FILE,
    LoadedTokenizer,
    TokenizationFailed,
    TokenizationResult,
    TokenizationSettings,
    TokenizerLoadError,
    load_tokenizer,
    tokenize_corpus,
)
from llm_lineage.tokenization.loader import TOKENIZER_CONFIG_FILE


class SourceError(LlmLineageError, ValueError):
    """The source is missing or is not a Parquet file of extracted text."""


@dataclass(frozen=True)
class TokenizationRun:
    plan: TokenizationPlan
    tokenizer: LoadedTokenizer
    info: SourceInfo
    result: TokenizationResult


def declared_max_length(spec: str) -> int | None:
    """``model_max_length`` from a local tokenizer's tokenizer_config.json, cheaply (no load).

    Lets operators check ``block_size``/``max_length`` when the DAG is parsed.
    """
    path = Path(spec)
    folder = path if path.is_dir() else path.parent
    config = folder / "tokenizer_config.json"
    if not (path.is_dir() or path.name == TOKENIZER_FILE) or not config.is_file():
        return None
    try:
        value = json.loads(config.read_text(encoding="utf-8")).get("model_max_length")
    except (OSError, ValueError, AttributeError):
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**18:
        return None
    return value


class TokenizerHook(StepHook):
    """Tokenize the text that DocumentExtractionOperator wrote, on any ObjectStoragePath.

    ``plan(source, destination, tokenizer, ...)`` names the run's input and output;
    ``tokenize(plan)`` does it. ``hook_lineage``, ``owner`` and ``lock_timeout`` are
    ``StepHook``'s.

    :param hub_conn_id: Connection whose password is a Hugging Face token (private hub ids).
    :param source_conn_id: Connection for the source's object store.
    :param destination_conn_id: Connection for the destination's object store.
    :param tokenizer_conn_id: Connection for a tokenizer in an object store.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = ("pyarrow", "tokenizers")

    hook_name = "Tokenizer"

    def __init__(
        self,
        hub_conn_id: str | None = None,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        tokenizer_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__(hook_lineage, owner, lock_timeout)
        self.hub_conn_id = hub_conn_id
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.tokenizer_conn_id = tokenizer_conn_id

    def load_tokenizer(self, spec: str, revision: str | None = None) -> LoadedTokenizer:
        """From a local file or folder, an object store's file or folder, or a hub id.

        An object store's ``tokenizer.json`` (or a folder holding one: a model folder) is
        downloaded once per worker with its ``tokenizer_config.json`` (``hooks/model_cache.py``)
        and named in lineage by its URI.
        """
        if is_remote(spec):
            return self._remote_tokenizer(spec)
        return load_tokenizer(spec, revision=revision, token=self._password(self.hub_conn_id))

    def _remote_tokenizer(self, spec: str) -> LoadedTokenizer:
        path = storage_path(spec, self.tokenizer_conn_id)
        uri = location_uri(path)
        named = path.name.endswith(".json")
        folder, file = (path.parent, path.name) if named else (path, TOKENIZER_FILE)
        try:
            local = local_model_copy(folder, (file, TOKENIZER_CONFIG_FILE), self.log)
        except OSError as error:
            raise TokenizerLoadError(f"tokenizer {uri} cannot be read: {error}") from error
        if not (local / file).is_file():
            raise TokenizerLoadError(f"tokenizer {uri} has no {file}")
        return replace(load_tokenizer(local / file), source=uri)

    def source_path(self, source: str | os.PathLike[str]) -> ObjectStoragePath:
        """The text Parquet: ``source`` itself, or ``source``/text.parquet for a folder.

        Refuses a text.parquet whose manifest beside it was written by another run: on object
        stores that is an extraction publishing now, or one that was interrupted.
        """
        return checked_text_source(
            parquet_path(source, self.source_conn_id, TEXT_FILE), SourceError
        )

    def plan(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        tokenizer: str,
        settings: TokenizationSettings | None = None,
        revision: str | None = None,
    ) -> TokenizationPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file."""
        destination_uri = self._uri(storage_path(destination, self.destination_conn_id))
        return TokenizationPlan(
            source=self._uri(parquet_path(source, self.source_conn_id, TEXT_FILE)),
            output=child_uri(destination_uri, TOKENS_FILE),
            tokenizer=tokenizer,
            settings=settings or TokenizationSettings(),
            revision=revision,
        )

    def source_info(self, plan: TokenizationPlan) -> SourceInfo:
        """Footer facts of the plan's source: schema, rows, content hash, the chain that made it."""
        return text_source_info(self._source(plan), SourceError)

    def _source(self, plan: TokenizationPlan) -> ObjectStoragePath:
        return checked_text_source(self._path(plan.source, self.source_conn_id), SourceError)

    def tokenize(
        self,
        plan: TokenizationPlan,
        *,
        loaded: LoadedTokenizer | None = None,
        info: SourceInfo | None = None,
    ) -> TokenizationRun:
        """Tokenize into the plan's destination, published only if the run succeeds.

        ``plan`` comes from ``plan()``. ``loaded`` and ``info`` skip loading the tokenizer and
        reading the source's footer again when the caller already did (the operator does, to
        report them if the run fails).
        """
        loaded = loaded or self.load_tokenizer(plan.tokenizer, plan.revision)
        source_path = self._source(plan)
        info = info or text_source_info(source_path, SourceError)
        if info.written_by not in (None, "extraction"):
            self.log.warning("%s was written by the %s step", plan.source, info.written_by)
        self.log.info(
            "Tokenizing %d documents of %s with %s into %s",
            info.rows or 0,
            plan.source,
            loaded.source,
            plan.output,
        )
        destination = self._folder(plan.output, self.destination_conn_id)
        with (
            self._reported([plan.source], [plan.output], TokenizationFailed),
            self._publication(destination, (TOKENS_FILE,)) as unit,
        ):
            local_source = local_copy(source_path, unit.scratch)
            footer = unit.stamp(tokenization_footer(plan, loaded, info))
            result = tokenize_corpus(
                local_source, unit.output, loaded, plan.settings, self.log, footer=lambda _: footer
            )
            replaced = TOKENS_FILE in unit.publish()
        assert result.output is not None
        result.output = replace(result.output, uri=plan.output)
        self.log.info(
            "Wrote %d tokens in %d sequences to %s, version %s",
            result.tokens,
            result.sequences,
            plan.output,
            result.output.content_hash,
        )
        return TokenizationRun(replace(plan, replaced=replaced), loaded, info, result)
