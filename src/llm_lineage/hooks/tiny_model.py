"""The tiny base model where a DAG's outputs go: a local folder or an object store.

Examples and demos fall back to the tiny model (``training/tiny.py``) when no ``base_model`` is
configured. On one machine a local folder will do; with several workers and no shared disk the
model must go where every worker reads, the output's object store, or ``fine_tune`` on another
worker finds no model. It is published as a unit under the folder's lock (``publication``), like
every output: built in a private staging folder, uploaded ``config.json`` last.
"""

from __future__ import annotations

import logging
import os

from airflow.sdk import ObjectStoragePath

from llm_lineage.common.progress import LogLike
from llm_lineage.hooks.publishing import publication
from llm_lineage.hooks.storage import default_conn_id, location_uri, storage_path
from llm_lineage.storage.paths import is_local
from llm_lineage.training.tiny import TINY_MODEL_FILES, tiny_base_model

log = logging.getLogger(__name__)

#: Seconds a second run building the same tiny model waits for the first (it takes seconds).
BUILD_WAIT = 300.0


def base_model_or_tiny(
    base_model: str | None,
    folder: str | os.PathLike[str],
    conn_id: str | None = None,
    logger: LogLike = log,
) -> str:
    """``base_model`` when one is given (returned unchanged), else the tiny model in ``folder``.

    ``folder`` is a local path or an object-store URL (``s3://bucket/out/tiny-base-model``);
    ``conn_id`` is its connection (default: the scheme's, ``aws_default`` for ``s3://``).
    Returns what ``TokenizationOperator(tokenizer=...)`` and
    ``LoRAFineTuningOperator(base_model=...)`` take: the local folder's path or the URL.
    """
    if base_model:
        return base_model
    return tiny_base_model_at(folder, conn_id, logger)


def tiny_base_model_at(
    folder: str | os.PathLike[str], conn_id: str | None = None, logger: LogLike = log
) -> str:
    """Build the tiny model in ``folder`` (local or object store) unless it is there already."""
    path = storage_path(folder, default_conn_id(folder, conn_id))
    if is_local(path):
        return tiny_base_model(path.path)
    location = os.fspath(folder)
    if _complete(path):
        logger.info("Tiny base model already in %s", location_uri(path))
        return location
    with publication(path, TINY_MODEL_FILES, lock_timeout=BUILD_WAIT, logger=logger) as unit:
        if _complete(path):  # built by the run we waited for
            return location
        tiny_base_model(unit.output)
        unit.publish(last="config.json")
    logger.info("Built the tiny base model into %s", location_uri(path))
    return location


def _complete(path: ObjectStoragePath) -> bool:
    return all((path / name).is_file() for name in TINY_MODEL_FILES)
