"""TokenizerHook: load a tokenizer (file, folder or hub), tokenize extraction output, publish."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
from airflow.sdk import BaseHook, ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.extraction import MANIFEST_FILE, TEXT_FILE
from llm_lineage.hooks.collector import report_hook_lineage
from llm_lineage.hooks.publishing import MixedOutput, check_one_run, publication
from llm_lineage.hooks.storage import (
    local_copy,
    location_uri,
    parquet_info,
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
    load_tokenizer,
    tokenize_corpus,
)


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


class TokenizerHook(BaseHook):
    """Tokenize the text that DocumentExtractionOperator wrote, on any ObjectStoragePath.

    :param hub_conn_id: Connection whose password is a Hugging Face token (private hub ids).
    :param source_conn_id: Connection for the source's object store.
    :param destination_conn_id: Connection for the destination's object store.
    :param hook_lineage: Report inputs and outputs to Airflow's hook lineage collector.
    :param owner: Names this run to a second run that finds the destination busy (default: the
        Airflow task instance).
    :param lock_timeout: Seconds to wait while another run writes the destination; 0 fails at
        once.
    """

    hook_name = "Tokenizer"

    def __init__(
        self,
        hub_conn_id: str | None = None,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__()
        self.hub_conn_id = hub_conn_id
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id
        self.hook_lineage = hook_lineage
        self.owner = owner
        self.lock_timeout = lock_timeout

    def load_tokenizer(self, spec: str, revision: str | None = None) -> LoadedTokenizer:
        token = self.get_connection(self.hub_conn_id).password if self.hub_conn_id else None
        return load_tokenizer(spec, revision=revision, token=token)

    def source_path(self, source: str | os.PathLike[str]) -> ObjectStoragePath:
        """The text Parquet: ``source`` itself, or ``source``/text.parquet for a folder.

        Refuses a text.parquet whose manifest beside it was written by another run: on object
        stores that is an extraction publishing now, or one that was interrupted.
        """
        path = parquet_path(source, self.source_conn_id, TEXT_FILE)
        if not path.is_file():
            raise SourceError(f"source {location_uri(path)} does not exist")
        if path.name == TEXT_FILE:
            try:
                check_one_run(path.parent, (TEXT_FILE, MANIFEST_FILE))
            except MixedOutput as error:
                raise SourceError(f"source {location_uri(path)}: {error}") from error
        return path

    def plan(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        tokenizer: str,
        settings: TokenizationSettings | None = None,
        revision: str | None = None,
    ) -> TokenizationPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file."""
        path = parquet_path(source, self.source_conn_id, TEXT_FILE)
        destination_uri = location_uri(storage_path(destination, self.destination_conn_id))
        return TokenizationPlan(
            source=location_uri(path),
            output=child_uri(destination_uri, TOKENS_FILE),
            tokenizer=tokenizer,
            settings=settings or TokenizationSettings(),
            revision=revision,
        )

    def source_info(self, path: ObjectStoragePath) -> SourceInfo:
        """Footer facts of the source: schema, rows, content hash, the chain that made it."""
        try:
            return parquet_info(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise SourceError(
                f"source {location_uri(path)} is not a Parquet file of extracted text: {error}"
            ) from error

    def tokenize(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        tokenizer: str,
        settings: TokenizationSettings | None = None,
        revision: str | None = None,
        loaded: LoadedTokenizer | None = None,
        info: SourceInfo | None = None,
    ) -> TokenizationRun:
        """Tokenize into ``destination``/tokens.parquet, published only if the run succeeds.

        ``loaded`` and ``info`` skip loading the tokenizer and reading the source's footer again
        when the caller already did (the operator does, to report them if the run fails).
        """
        plan = self.plan(source, destination, tokenizer, settings, revision)
        loaded = loaded or self.load_tokenizer(tokenizer, revision)
        source_path = self.source_path(source)
        info = info or self.source_info(source_path)
        if info.written_by not in (None, "extraction"):
            self.log.warning("%s was written by the %s step", plan.source, info.written_by)
        destination_path = storage_path(destination, self.destination_conn_id)
        self.log.info(
            "Tokenizing %d documents of %s with %s into %s",
            info.rows or 0,
            plan.source,
            loaded.source,
            plan.output,
        )
        try:
            with publication(
                destination_path,
                (TOKENS_FILE,),
                owner=self.owner,
                lock_timeout=self.lock_timeout,
                logger=self.log,
            ) as unit:
                local_source = local_copy(source_path, unit.scratch)
                footer = unit.stamp(tokenization_footer(plan, loaded, info))
                result = tokenize_corpus(
                    local_source,
                    unit.output,
                    loaded,
                    plan.settings,
                    self.log,
                    footer=lambda _result: footer,
                )
                replaced = TOKENS_FILE in unit.publish()
        except TokenizationFailed:
            self._report([plan.source], [])
            raise
        assert result.output is not None
        result.output = replace(result.output, uri=plan.output)
        self._report([plan.source], [plan.output])
        self.log.info(
            "Wrote %d tokens in %d sequences to %s, version %s",
            result.tokens,
            result.sequences,
            plan.output,
            result.output.content_hash,
        )
        return TokenizationRun(replace(plan, replaced=replaced), loaded, info, result)

    def _report(self, inputs: list[str], outputs: list[str]) -> None:
        if self.hook_lineage:
            report_hook_lineage(self, inputs, outputs)
