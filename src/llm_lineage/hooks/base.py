"""StepHook: what the extraction, tokenization and LoRA hooks share.

Each step hook is used in two calls. ``plan(...)`` names every input and output, cheaply (it
touches storage at most to tell a folder from a file); the work method (``extract``,
``tokenize``, ``fine_tune``) then takes that plan. Plans name locations by URI, as lineage does,
so the hook remembers the ObjectStoragePath behind each URI it planned: the work reads and writes
exactly the location it was given, with a connection named in its URL
(``s3://conn_id@bucket/...``). A plan from elsewhere is read back from its URIs with this hook's
connections.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import ClassVar

import pyarrow as pa
from airflow.sdk import BaseHook, ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.curation import DECISIONS_FILE
from llm_lineage.extraction import MANIFEST_FILE, TEXT_FILE
from llm_lineage.hooks.collector import report_hook_lineage
from llm_lineage.hooks.openlineage_config import check_openlineage_settings
from llm_lineage.hooks.publishing import check_one_run, publication
from llm_lineage.hooks.storage import location_uri, parquet_info, uri_path
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.storage.publication import Publication
from llm_lineage.storage.run_ids import MixedOutput


class StepHook(BaseHook):
    """Base of the step hooks: hook lineage, the publishing lock's options, planned locations.

    :param hook_lineage: Report inputs and outputs to Airflow's hook lineage collector (for
        ``@task`` users). Our operators turn it off: they report richer lineage themselves.
    :param owner: Names this run to a second run that finds the destination busy. Default: the
        Airflow task instance (dag, task, run id, try) when called from a task.
    :param lock_timeout: Seconds to wait while another run writes the destination; 0 (the
        default) fails at once with a message naming that run.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = ("pyarrow",)

    def __init__(
        self, hook_lineage: bool = True, owner: str | None = None, lock_timeout: float = 0.0
    ) -> None:
        super().__init__()
        check_openlineage_settings()  # an ERROR in the task's log when no lineage can be sent
        self.hook_lineage = hook_lineage
        self.owner = owner
        self.lock_timeout = lock_timeout
        self._planned: dict[str, ObjectStoragePath] = {}

    def _uri(self, path: ObjectStoragePath) -> str:
        """The URI a plan names ``path`` by; ``_path`` gives ``path`` back for it."""
        uri = location_uri(path)
        self._planned[uri] = path
        return uri

    def _path(self, uri: str, conn_id: str | None) -> ObjectStoragePath:
        """The location behind a plan's URI: as this hook planned it, else read from the URI."""
        planned = self._planned.get(uri)
        return planned if planned is not None else uri_path(uri, conn_id)

    def _folder(self, uri: str, conn_id: str | None) -> ObjectStoragePath:
        """The folder a plan's output file goes into (the destination the caller named)."""
        folder = uri.rsplit("/", 1)[0]
        return self._path(folder + "/" if folder.endswith("://") else folder, conn_id)

    def _password(self, conn_id: str | None) -> str | None:
        """The connection's password (a Hugging Face token), or None without a connection."""
        return self.get_connection(conn_id).password if conn_id else None

    def _publication(
        self, destination: ObjectStoragePath, owned: Iterable[str], folder_is_output: bool = False
    ) -> AbstractContextManager[Publication]:
        """``publication`` with this hook's owner, lock timeout and log."""
        return publication(
            destination,
            owned,
            owner=self.owner,
            lock_timeout=self.lock_timeout,
            folder_is_output=folder_is_output,
            logger=self.log,
        )

    @contextmanager
    def _reported(
        self,
        inputs: Sequence[str],
        outputs: Sequence[str],
        failure: type[BaseException] | tuple[type[BaseException], ...],
    ) -> Iterator[None]:
        """Report ``inputs`` however the block ends in ``failure``, ``outputs`` only on success."""
        try:
            yield
        except failure:
            self._report(inputs, [])
            raise
        self._report(inputs, outputs)

    def _report(self, inputs: Sequence[str], outputs: Sequence[str]) -> None:
        if self.hook_lineage:
            report_hook_lineage(self, inputs, outputs)


def checked_text_source(path: ObjectStoragePath, error: type[LlmLineageError]) -> ObjectStoragePath:
    """``path`` if it is a file, and for a text.parquet, one of a whole extraction or curation
    unit; else ``error`` (the step's own source error) saying why not."""
    if not path.is_file():
        raise error(f"source {location_uri(path)} does not exist")
    if path.name == TEXT_FILE:
        try:
            check_one_run(path.parent, (TEXT_FILE, MANIFEST_FILE, DECISIONS_FILE))
        except MixedOutput as mixed:
            raise error(f"source {location_uri(path)}: {mixed}") from mixed
    return path


def text_source_info(path: ObjectStoragePath, error: type[LlmLineageError]) -> SourceInfo:
    """The footer facts of a text Parquet source, or ``error`` when it is not Parquet."""
    try:
        return parquet_info(path)
    except (pa.ArrowInvalid, OSError) as unreadable:
        raise error(
            f"source {location_uri(path)} is not a Parquet file of extracted text: {unreadable}"
        ) from unreadable
