"""DocumentExtractionHook: list a corpus on any ObjectStoragePath, extract it, publish atomically."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, ClassVar

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.extraction import (
    MANIFEST_FILE,
    TEXT_FILE,
    ExtractionFailed,
    ExtractionResult,
    ExtractionSettings,
    SourceDocument,
    extract_corpus,
    is_selected,
    local_documents,
    start_parser,
)
from llm_lineage.extraction.parsing import InProcessParser
from llm_lineage.extraction.pool import ReaderPool
from llm_lineage.extraction.source import read_stream
from llm_lineage.hooks.base import StepHook
from llm_lineage.hooks.storage import file_uri, location_uri, storage_path
from llm_lineage.lineage.authors import AuthorPolicy
from llm_lineage.lineage.declaration import DeclarationError, SourceDeclaration, load_declaration
from llm_lineage.lineage.extraction import ExtractionPlan, extraction_footer
from llm_lineage.lineage.naming import child_uri
from llm_lineage.storage.paths import is_local


@dataclass(frozen=True)
class ExtractionRun:
    """A finished run: where it read and wrote, and what it learned."""

    plan: ExtractionPlan
    result: ExtractionResult


class DocumentExtractionHook(StepHook):
    """Extract text and metadata from the documents under a path or URL (local, s3://, gs://, ...).

    ``plan(source, destination, ...)`` names the run's inputs and outputs; ``extract(plan)`` does
    it. ``hook_lineage``, ``owner`` and ``lock_timeout`` are ``StepHook``'s.

    :param source_conn_id: Airflow connection for the source's object store, if it needs one.
    :param destination_conn_id: Airflow connection for the destination's object store.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = (
        "pyarrow",
        "pypdfium2",
        "python-docx",
        "selectolax",
        "charset-normalizer",
    )

    hook_name = "Document extraction"

    def __init__(
        self,
        source_conn_id: str | None = None,
        destination_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__(hook_lineage, owner, lock_timeout)
        self.source_conn_id = source_conn_id
        self.destination_conn_id = destination_conn_id

    def plan(
        self,
        source: str | os.PathLike[str],
        destination: str | os.PathLike[str],
        settings: ExtractionSettings | None = None,
        author_policy: AuthorPolicy | str = AuthorPolicy.INCLUDE,
        author_salt: str | None = None,
        source_declaration: SourceDeclaration | Mapping[str, Any] | str | None = None,
    ) -> ExtractionPlan:
        """Where a run will read and write; cheap, touches no storage.

        ``source_declaration``: the source's kind, licence, opt-outs and public name
        (``lineage/declaration.py``), as a ``SourceDeclaration``, a dict or a YAML file's path;
        a wrong one raises ``DeclarationError`` naming the parameter.
        """
        declaration = _declaration(self.hook_name, source_declaration)
        destination_uri = self._uri(storage_path(destination, self.destination_conn_id))
        return ExtractionPlan(
            source=self._uri(storage_path(source, self.source_conn_id)),
            text=child_uri(destination_uri, TEXT_FILE),
            manifest=child_uri(destination_uri, MANIFEST_FILE),
            settings=settings or ExtractionSettings(),
            author_policy=AuthorPolicy(author_policy),
            author_salt=author_salt,
            declaration=declaration,
        )

    def list_documents(
        self, source: str | os.PathLike[str], settings: ExtractionSettings | None = None
    ) -> list[SourceDocument]:
        """The selected documents under ``source`` (a folder, recursively, or one file), sorted."""
        return _documents(
            storage_path(source, self.source_conn_id), settings or ExtractionSettings()
        )

    def extract(self, plan: ExtractionPlan) -> ExtractionRun:
        """Extract every selected document; publish text and manifest only if the run succeeds.

        ``plan`` comes from ``plan()``. Text and manifest are published as one unit under the
        destination's lock, both stamped with the run id (``llm_lineage.storage``). Raises
        ExtractionFailed (with the partial result) as the engine does, DestinationBusy when
        another run holds the destination; hook lineage reports the source either way and the
        outputs only once they exist.
        """
        parser = start_parser(plan.settings)  # reader processes start while the source is listed
        try:
            return self._extract(plan, parser)
        finally:
            parser.close()

    def _extract(self, plan: ExtractionPlan, parser: InProcessParser | ReaderPool) -> ExtractionRun:
        documents = _documents(self._path(plan.source, self.source_conn_id), plan.settings)
        destination = self._folder(plan.text, self.destination_conn_id)
        self.log.info(
            "Extracting %d documents from %s into %s", len(documents), plan.source, plan.text
        )
        outputs = [plan.text, plan.manifest]
        with (
            self._reported([plan.source], outputs, ExtractionFailed),
            self._publication(destination, (TEXT_FILE, MANIFEST_FILE)) as unit,
        ):
            result = extract_corpus(
                documents,
                plan.source,
                unit.output,
                plan.settings,
                self.log,
                footer=lambda finished: unit.stamp(extraction_footer(plan, finished)),
                parser=parser,
            )
            existed = unit.publish(last=TEXT_FILE)  # the file tokenization opens
        assert result.text_output is not None and result.manifest_output is not None
        result.text_output = replace(result.text_output, uri=plan.text)
        result.manifest_output = replace(result.manifest_output, uri=plan.manifest)
        replaced = {
            uri
            for uri, name in ((plan.text, TEXT_FILE), (plan.manifest, MANIFEST_FILE))
            if name in existed
        }
        self.log.info(
            "Extracted %d documents (%d failed) into %s, version %s",
            result.summary.documents,
            result.failure_count,
            plan.text,
            result.text_output.content_hash,
        )
        return ExtractionRun(plan=replace(plan, replaced=frozenset(replaced)), result=result)


def _declaration(
    owner: str, value: SourceDeclaration | Mapping[str, Any] | str | None
) -> SourceDeclaration | None:
    """A source declaration from what a caller passed; ``DeclarationError`` when wrong."""
    if value is None or isinstance(value, SourceDeclaration):
        return value
    try:
        return load_declaration(value)
    except DeclarationError as error:
        raise DeclarationError(f"{owner}: parameter 'source_declaration': {error}") from None


class SourceNotFound(LlmLineageError, FileNotFoundError):
    """The source folder of an extraction does not exist."""


def _documents(root: ObjectStoragePath, settings: ExtractionSettings) -> list[SourceDocument]:
    """The selected documents under ``root``, sorted by relative path.

    Local folders are walked by the engine's own listing, which refuses symlinks that leave the
    source and files that are not regular files; object stores have neither.
    """
    if not root.exists():
        raise SourceNotFound(f"source {location_uri(root)} does not exist")
    if is_local(root):
        return local_documents(
            Path(root.path),
            settings.include,
            settings.exclude,
            settings.follow_symlinks_outside_source,
        )
    fs = root.fs
    if root.is_file():
        entries: dict[str, Any] = {root.path: fs.info(root.path)}
        base = root.path.rsplit("/", 1)[0]
    else:
        entries = fs.find(root.path, detail=True, withdirs=False)
        base = root.path.rstrip("/")
    documents = []
    for path, info in entries.items():
        relative = path[len(base) :].lstrip("/")
        if not is_selected(relative, settings.include, settings.exclude):
            continue
        kind = info.get("type", "file")
        documents.append(
            SourceDocument(
                uri=file_uri(root, path),
                relative_path=relative,
                size=int(info.get("size") or 0),
                mtime=_mtime(info),
                read=partial(read_stream, partial(fs.open, path, "rb")),
                refused=None if kind == "file" else f"not a regular file: {kind}",
            )
        )
    return sorted(documents, key=lambda doc: doc.relative_path)


def _mtime(info: dict[str, Any]) -> float | None:
    value = info.get("mtime") or info.get("LastModified") or info.get("updated")
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
