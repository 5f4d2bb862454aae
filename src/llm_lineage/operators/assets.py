"""Airflow Assets for what the operators read and write: one alias per task, events with extras.

**Outputs are asset events through an alias.** Locations are templated, so an operator knows
its outputs only at run time. Each operator declares one ``AssetAlias`` outlet when the DAG is
parsed, ``llm-lineage:<dag_id>.<task_id>`` (one per task: an alias shared by several tasks
would trigger a DAG scheduled on it whenever any of them wrote anything), and at the end of a
successful ``execute`` adds one event per output through it. Airflow creates the asset on its
first event and queues every DAG scheduled on it; the scheduler then activates it, which lists
it on the Assets page. A failed task adds no event.

**Inputs are inlets; an event only creates an input nobody knows.** An event says "this asset
was updated" and queues the DAGs scheduled on it, which reading a corpus or a base model must
not do. A corpus or base model whose location is fixed when the DAG is parsed (a literal absolute
path, URL or hub id) becomes an inlet ``Asset``, registered with the DAG and never given an
event. A templated one is known only at run time, and Airflow 3 registers an asset from a
running task only through an event. So the run looks the input up first (``KnownAssets``): an
asset Airflow already has (declared by the DAG, or seen before) gets no event; one it does not
have gets one event that creates it (``extra.role`` is ``"input"``). No DAG can be scheduled on an
asset that does not exist yet, so that first event triggers nothing. Text and tokens read by the
next step are assets already, through the events of the step that wrote them.

**Identity.** An asset's name and URI are the dataset's URI as lineage names it
(``DatasetId.uri``): ``file:///abs/path/text.parquet``, ``s3://bucket/key``. Airflow keeps
those as they are (no query, no fragment, no trailing slash, the path percent-encoded once), so
Airflow's asset and the OpenLineage dataset are the same thing under the same name. An event
goes to the asset Airflow is known to have under that URI, whatever its name: one the task's
DAG declares, one this task's alias reached before, or the active one with that URI once it has
had an event. The task SDK's look-up by URI is not used: for a URI Airflow does not have (every
new output) it logs ``ERROR Asset not found``. So a DAG scheduled on an output that has never
had an event declares it by its URI, ``Asset("<uri>")`` or ``Asset.ref(uri="<uri>")``.

**Extras** hold versions (the ``datasetVersion`` the OpenLineage events name), counts and the
inputs' URIs: small, JSON-safe, no document text and nothing from settings that could be secret.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias

from llm_lineage.hooks.compat import inlet_events
from llm_lineage.hooks.storage import location_uri, storage_path
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.training import base_model_location, is_hub_id

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator, Context

    from llm_lineage.hooks.curation import CurationRun
    from llm_lineage.hooks.embedding import EmbeddingRun
    from llm_lineage.hooks.extraction import ExtractionRun
    from llm_lineage.hooks.lora import TrainingRun
    from llm_lineage.hooks.tokenization import TokenizationRun

log = logging.getLogger(__name__)

ALIAS_PREFIX = "llm-lineage:"
#: Inputs listed in one event's ``sources`` (a training run may read many token shards).
MAX_SOURCES = 20


@dataclass(frozen=True)
class AssetUpdate:
    """One output written by a run: its URI and the ``extra`` of its asset event."""

    uri: str
    extra: dict[str, Any]
    #: An input: registered by an event only when Airflow has no asset with this URI yet.
    input: bool = False


def asset_alias(operator: BaseOperator) -> AssetAlias:
    return AssetAlias(name=f"{ALIAS_PREFIX}{operator.dag_id}.{operator.task_id}")


def declare_assets(operator: BaseOperator, *inputs: str | None) -> None:
    """Give ``operator`` its alias outlet and an inlet for each input URI known at parse time.

    An operator made outside a DAG gets its alias when it runs (see ``publish_assets``). An
    inlet the DAG already gives for the same URI is kept instead of ours: that is how a DAG
    names an input asset its own way.
    """
    if operator.has_dag():
        _append_new(operator.outlets, asset_alias(operator))
    declared = {getattr(inlet, "uri", None) for inlet in operator.inlets}
    for uri in inputs:
        if uri is None or uri in declared:
            continue
        try:
            operator.inlets.append(Asset(name=uri, uri=uri))
        except ValueError as error:  # longer than Airflow stores, say: the DAG must still load
            log.warning("%s: input %s is not an Airflow asset: %s", operator.task_id, uri, error)


def fixed_location_uri(location: str, conn_id: str | None = None) -> str | None:
    """The URI the hooks will name ``location`` by, if the DAG file fixes it; else None.

    A template is rendered only at run time, and a relative or ``~`` path depends on the
    worker's folder and user, so neither names an asset when the DAG is parsed. Nor does a URL
    of a filesystem this machine does not know: that is for the run to report, not the parse.
    """
    if _templated(location) or ("://" not in location and not Path(location).is_absolute()):
        return None
    if conn_id is not None and _templated(conn_id):
        conn_id = None  # naming a location reads no connection
    try:
        return dataset_id(location_uri(storage_path(location, conn_id))).uri
    except (ValueError, ImportError):
        return None


def fixed_base_model_uri(spec: str) -> str | None:
    """The URI lineage names a base model by (absolute folder, URL or hub id), if the DAG fixes it."""
    if "://" in spec:
        return fixed_location_uri(spec)
    if _templated(spec) or not (Path(spec).is_absolute() or is_hub_id(spec)):
        return None
    return dataset_id(base_model_location(spec)).uri


def _templated(value: str) -> bool:
    return "{{" in value or "{%" in value


def publish_assets(
    context: Context, operator: BaseOperator, updates: Iterable[AssetUpdate]
) -> None:
    """Add an asset event for each output through the operator's alias; never fails the task.

    The outputs are published by then: failing the task would make a retry redo all the work
    for the sake of a notification.
    """
    alias = asset_alias(operator)
    _append_new(operator.outlets, alias)  # mapped and DAG-less operators get it only here
    try:
        events = context["outlet_events"][alias]
        known = KnownAssets(operator, alias.name)
        for update in updates:
            asset = known.find(update.uri)
            if update.input:
                if asset is None:  # an event would tell a known input's consumers it changed
                    log.info(
                        "Airflow has no asset for the input %s: one event registers it", update.uri
                    )
                    events.add(
                        Asset(name=update.uri, uri=update.uri),
                        extra={"role": "input", **update.extra},
                    )
                continue
            events.add(asset or Asset(name=update.uri, uri=update.uri), extra=update.extra)
            operator.log.info("Airflow asset event for %s: %s", update.uri, update.extra)
    except Exception:
        log.warning("Could not add Airflow asset events through %s", alias.name, exc_info=True)


class KnownAssets:
    """The asset Airflow has under a URI, found without asking for one that may not exist.

    The task SDK's look-up by URI (``Asset.ref(uri=...)``) answers a missing asset with an
    ``ERROR Asset not found`` in the task log, and most outputs are new. So the asset is looked
    for where the answer for a missing one is "nothing": the assets this task's DAG declares, the
    events this task's alias added before, and the events of the active asset with that URI.
    None means Airflow has no asset under the URI that it could name; the event then creates one
    named by its URI, as ``Asset(uri)`` names it.
    """

    #: Events of the alias read back: the latest ones, enough for every output of many runs.
    ALIAS_EVENTS = 500

    def __init__(self, operator: BaseOperator, alias_name: str) -> None:
        self.declared = _declared_assets(operator)
        self.alias_name = alias_name
        self._through_alias: dict[str, Asset] | None = None

    def find(self, uri: str) -> Asset | None:
        return self.declared.get(uri) or self._alias_assets().get(uri) or _active_asset(uri)

    def _alias_assets(self) -> dict[str, Asset]:
        if self._through_alias is None:
            events = _events(alias_name=self.alias_name, limit=self.ALIAS_EVENTS)
            self._through_alias = {
                e.asset.uri: Asset(name=e.asset.name, uri=e.asset.uri) for e in events
            }
        return self._through_alias


def _declared_assets(operator: BaseOperator) -> dict[str, Asset]:
    """Assets the operator's DAG names (inlets, outlets, schedule), by URI."""
    if not operator.has_dag():
        return {}
    dag = operator.dag
    found: list[Any] = [obj for task in dag.tasks for obj in (*task.inlets, *task.outlets)]
    condition = getattr(dag.timetable, "asset_condition", None)
    if condition is not None:
        found.extend(asset for _, asset in condition.iter_assets())
    return {obj.uri: obj for obj in found if isinstance(obj, Asset)}


def _active_asset(uri: str) -> Asset | None:
    """The active asset with this URI, if it has had an event (any name)."""
    for event in _events(uri=uri, limit=1):
        return Asset(name=event.asset.name, uri=event.asset.uri)
    return None


def _events(**query: Any) -> list[Any]:
    """Asset events from the API server, as the task SDK's ``inlet_events`` reads them."""
    limit = query.pop("limit")
    accessor = inlet_events(query.get("uri"), query.get("alias_name")).ascending(False)
    return list(accessor.limit(limit))


def extraction_assets(run: ExtractionRun) -> list[AssetUpdate]:
    """``text.parquet`` and ``manifest.parquet``: versions, document counts, the corpus."""
    plan, result = run.plan, run.result
    assert result.text_output is not None and result.manifest_output is not None
    common = {
        "documents": result.summary.documents,
        "failed": result.failure_count,
        "sources": _sources([(plan.source, result.summary.collection_version)]),
    }
    corpus = _compact(version=result.summary.collection_version, documents=result.documents_seen)
    return [
        AssetUpdate(_uri(plan.source), corpus, input=True),
        AssetUpdate(_uri(plan.text), _compact(version=result.text_output.content_hash, **common)),
        AssetUpdate(
            _uri(plan.manifest), _compact(version=result.manifest_output.content_hash, **common)
        ),
    ]


def curation_assets(run: CurationRun) -> list[AssetUpdate]:
    """``text.parquet`` and ``decisions.parquet``: versions, documents kept and read, the text."""
    plan, result = run.plan, run.result
    assert result.text is not None and result.decisions is not None
    common = {
        "documents": result.documents_out,
        "documents_in": result.documents_in,
        "sources": _sources([(plan.source, run.info.content_hash)]),
    }
    return [
        AssetUpdate(_uri(plan.output), _compact(version=result.text.content_hash, **common)),
        AssetUpdate(
            _uri(plan.decisions), _compact(version=result.decisions.content_hash, **common)
        ),
    ]


def tokenization_assets(run: TokenizationRun) -> list[AssetUpdate]:
    """``tokens.parquet``: version, tokens, sequences, documents, the text and the tokenizer."""
    result = run.result
    assert result.output is not None
    extra = _compact(
        version=result.output.content_hash,
        tokens=result.tokens,
        sequences=result.sequences,
        documents=result.documents_out,
        tokenizer_sha256=run.tokenizer.sha256,
        sources=_sources([(run.plan.source, run.info.content_hash)]),
    )
    return [AssetUpdate(_uri(run.plan.output), extra)]


def training_assets(run: TrainingRun) -> list[AssetUpdate]:
    """The adapter folder: version, steps, losses, the base model's fingerprint, the tokens."""
    result, base = run.result, run.base
    assert result.output is not None
    inputs = [
        (uri, info.content_hash) for uri, info in zip(run.plan.datasets, run.infos, strict=True)
    ]
    extra = _compact(
        version=result.output.content_hash,
        steps=result.steps,
        tokens_seen=result.tokens_seen,
        loss_first=result.loss_first,
        loss_last=result.loss_last,
        base_model_fingerprint=base.fingerprint,
        sources=[*_sources(inputs), *_sources([(base.location, base.fingerprint)])],
    )
    base_extra = _compact(version=base.fingerprint, model_type=base.model_type)
    return [
        AssetUpdate(_uri(base.location), base_extra, input=True),
        AssetUpdate(_uri(run.plan.output), extra),
    ]


def embedding_assets(run: EmbeddingRun) -> list[AssetUpdate]:
    """``embeddings.parquet`` (and the LanceDB table): version, chunks, the text and the model."""
    result, model, info = run.done.result, run.done.model, run.done.info
    assert result is not None and result.output is not None and model is not None
    extra = _compact(
        version=result.output.content_hash,
        chunks=result.chunks,
        documents=result.documents_embedded,
        model_fingerprint=model.files.fingerprint,
        sources=_sources(
            [
                (run.plan.source, info.content_hash if info else None),
                (model.files.location, model.files.fingerprint),
            ]
        ),
    )
    updates = [AssetUpdate(_uri(run.plan.output), extra)]
    if run.plan.table_uri and result.vector_store_version is not None:
        table_extra = {**extra, "table_version": result.vector_store_version}
        updates.append(AssetUpdate(_uri(run.plan.table_uri), table_extra))
    return updates


def _uri(location: str) -> str:
    return dataset_id(location).uri


def _sources(inputs: list[tuple[str, str | None]]) -> list[dict[str, Any]]:
    """Each input's URI and version, the first ``MAX_SOURCES`` (events stay small)."""
    return [_compact(uri=_uri(uri), version=version) for uri, version in inputs[:MAX_SOURCES]]


def _compact(**values: Any) -> dict[str, Any]:
    """Leave out what is unknown (None) and what JSON cannot hold (NaN, infinity)."""
    return {
        key: value
        for key, value in values.items()
        if value is not None and not (isinstance(value, float) and not math.isfinite(value))
    }


def _append_new(items: list[Any], item: Any) -> None:
    if item not in items:
        items.append(item)
