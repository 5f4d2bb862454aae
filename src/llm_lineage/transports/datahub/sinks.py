"""Where proposals go: DataHub GMS over REST, or DataHub's metadata file.

Both take a ``build`` function rather than finished proposals, because the mapping reads the
catalog first (``Known``): the file sink shows it the file's contents, the server sink GMS.

``FileSink`` keeps one valid metadata file (the JSON array ``datahub ingest`` with a ``file``
source and ``datahub check metadata-file`` read) however many processes emit into it: each
write takes an exclusive ``flock`` on ``<file>.lock``, reads the file, appends, writes a
temporary file beside it, fsyncs it and renames it over the old one. A reader never sees half
a file, a crash leaves the previous version, and two workers never lose each other's
proposals. The cost is a rewrite per event, linear in the file's size: for a long-lived
deployment use the server sink, or rotate the file (move it away; the next event starts a new
one). One record per line keeps the file diffable.

``filename`` is checked when the transport is built: a symlink is followed (the file it points
to gets the data, the link stays), and a folder or any other file that is not a regular file
is refused, naming it. Lineage is the owner's: the file and its lock are written ``0600``, and
folders the sink creates for them ``0700`` (folders that exist are left as they are).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from datahub.emitter.mcp import MetadataChangeProposalWrapper
from datahub.metadata.schema_classes import ASPECT_NAME_MAP

from llm_lineage.common.durable import FOLDER_MODE, atomic_write, locked
from llm_lineage.common.errors import ConfigError, LlmLineageError
from llm_lineage.transports.datahub.config import DataHubConfig
from llm_lineage.transports.datahub.context import Known
from llm_lineage.transports.redaction import redact

log = logging.getLogger(__name__)

Build = Callable[[Known], list[MetadataChangeProposalWrapper]]


class NotMetadataFile(LlmLineageError, ValueError):
    """The sink's file holds something other than a DataHub metadata file."""


class RecordsView:
    """The latest upserted value of each aspect in a metadata file's records."""

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self._latest: dict[tuple[str, str], dict[str, Any]] = {}
        for record in records:
            aspect = (record.get("aspect") or {}).get("json")
            if record.get("changeType", "UPSERT") == "UPSERT" and isinstance(aspect, dict):
                self._latest[(str(record.get("entityUrn")), str(record.get("aspectName")))] = aspect

    def aspect(self, urn: str, aspect_name: str) -> dict[str, Any] | None:
        return self._latest.get((urn, aspect_name))


def file_record(proposal: MetadataChangeProposalWrapper) -> dict[str, Any]:
    """A proposal as DataHub's file sink writes it (the simplified ``aspect.json`` form)."""
    return proposal.to_obj(simplified_structure=True)


def sink_path(filename: str) -> Path:
    """The file that ``filename`` names, symlinks followed; refused when it cannot be one.

    Raises ``ConfigError`` (a ``ValueError``) naming ``filename`` when it is a folder, a FIFO, a socket or a
    device, or when something on its way is a file rather than a folder.
    """
    given = Path(filename).expanduser()
    path = Path(os.path.realpath(given))
    shown = f"'filename' {str(given)!r}" + (
        f" (which resolves to {str(path)!r})" if path != given.absolute() else ""
    )
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        _check_folders(path.parent, shown)
        return path
    except OSError as error:
        raise ConfigError(f"DataHubTransport: {shown} cannot be used: {error.strerror}") from error
    if stat.S_ISDIR(mode):
        raise ConfigError(
            f"DataHubTransport: {shown} is a folder; name a file, e.g. {str(path / 'datahub.json')!r}"
        )
    if not stat.S_ISREG(mode):
        raise ConfigError(f"DataHubTransport: {shown} is not a regular file")
    return path


def _check_folders(folder: Path, shown: str) -> None:
    """The nearest existing folder on the way must be a folder, or no file can be made."""
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise ConfigError(
                    f"DataHubTransport: {shown} cannot be created: {str(parent)!r} is not a folder"
                )
            return


def _make_folders(folder: Path) -> None:
    """``folder`` and any missing parents, each created ``0700`` (existing ones untouched)."""
    missing = [p for p in (folder, *folder.parents) if not p.exists()]
    for parent in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another writer made it meanwhile
            parent.mkdir(mode=FOLDER_MODE)
            parent.chmod(FOLDER_MODE)  # exactly, whatever the umask


class FileSink:
    def __init__(self, filename: str) -> None:
        self.path = sink_path(filename)
        self.lock_path = self.path.with_name(self.path.name + ".lock")

    def write(self, build: Build) -> int:
        _make_folders(self.path.parent)
        with locked(self.lock_path):
            records = self._read()
            added = [file_record(p) for p in build(RecordsView(records))]
            if added:
                self._replace(records + added)
        return len(added)

    def _read(self) -> list[dict[str, Any]]:
        try:
            content = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return []
        if not content.strip():
            return []
        try:
            records = json.loads(content)
        except ValueError as error:
            raise NotMetadataFile(
                f"DataHubTransport: {self.path} is not a DataHub metadata file ({error}); "
                "move it away, the next event starts a new one"
            ) from error
        return records if isinstance(records, list) else [records]

    def _replace(self, records: list[dict[str, Any]]) -> None:
        lines = ",\n".join(json.dumps(r, ensure_ascii=False, sort_keys=True) for r in records)
        atomic_write(self.path, f"[\n{lines}\n]\n".encode())


class GraphView:
    """Aspects as GMS has them (``GET /aspects/{urn}``); unknown when they cannot be read."""

    def __init__(self, graph: Any) -> None:
        self.graph = graph
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}

    def aspect(self, urn: str, aspect_name: str) -> dict[str, Any] | None:
        key = (urn, aspect_name)
        if key not in self._cache:
            self._cache[key] = self._fetch(urn, aspect_name)
        return self._cache[key]

    def _fetch(self, urn: str, aspect_name: str) -> dict[str, Any] | None:
        try:
            value = self.graph.get_aspect(urn, ASPECT_NAME_MAP[aspect_name])
        except Exception as error:
            # Reading is an optimisation (merging lists several runs add to); lineage still goes.
            log.warning("DataHub: could not read %s of %s (%s)", aspect_name, urn, redact(error))
            return None
        return value.to_obj() if value is not None else None


class ServerSink:
    """REST to GMS through the SDK's ``DataHubGraph`` (OpenAPI or Rest.li, as GMS says).

    As an SDK client (``ClientMode.SDK``) the emitter asks ``GET /config`` and sends OpenAPI
    (``POST /openapi/v3/entity/<type>``) to GMS 1.0.1 and later, Rest.li
    (``/aspects?action=ingestProposalBatch``) to older ones;
    ``DATAHUB_REST_EMITTER_DEFAULT_ENDPOINT`` overrides that, as everywhere in the SDK.

    The client is made at the first event, not with the transport, so that a GMS that is down
    does not stop Airflow from building its transports (or the spool from spooling). HTTP
    errors surface as the SDK's ``OperationalError`` raised from ``requests``' ``HTTPError``,
    whose ``.response.status_code`` the spool reads to dead-letter a 400 or 422.
    """

    def __init__(self, config: DataHubConfig) -> None:
        self.config = config
        self._graph: Any = None

    def _client(self) -> Any:
        if self._graph is None:
            from datahub.ingestion.graph.client import DataHubGraph
            from datahub.ingestion.graph.config import ClientMode, DatahubClientConfig

            graph = DataHubGraph(
                DatahubClientConfig(
                    server=str(self.config.server),
                    token=self.config.token,
                    timeout_sec=self.config.timeout_sec,
                    retry_max_times=self.config.retry_max_times,
                    datahub_component="llm-lineage",
                    client_mode=ClientMode.SDK,
                )
            )
            graph.test_connection()
            self._graph = graph
        return self._graph

    def write(self, build: Build) -> int:
        graph = self._client()
        proposals = build(GraphView(graph))
        if proposals:
            graph.emit_mcps(proposals)
        return len(proposals)

    def close(self) -> None:
        if self._graph is not None:
            self._graph.close()
            self._graph = None


def make_sink(config: DataHubConfig) -> FileSink | ServerSink:
    if config.sink == "filename":
        return FileSink(str(config.filename))
    return ServerSink(config)
