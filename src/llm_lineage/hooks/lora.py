"""LoRAFineTuningHook: resolve a base model, train a LoRA adapter on token Parquet, publish it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import attr
import pyarrow as pa
from airflow.sdk import ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.hooks.base import StepHook
from llm_lineage.hooks.code_location import current_code_location
from llm_lineage.hooks.model_cache import local_model_copy
from llm_lineage.hooks.openlineage_run import current_run
from llm_lineage.hooks.storage import (
    is_remote,
    local_copy,
    location_uri,
    parquet_info,
    parquet_path,
    storage_path,
)
from llm_lineage.lineage.environment import environment_facet
from llm_lineage.lineage.model_card import model_card
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.secrets import allowed_environment
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.training import TrainingPlan, transformation_chain
from llm_lineage.storage.publication import foreign_files
from llm_lineage.tokenization import TOKENS_FILE
from llm_lineage.training import (
    ADAPTER_CONFIG,
    ADAPTER_FILES,
    MODEL_CARD,
    BaseModelError,
    BaseModelInfo,
    DatasetError,
    DistributedSettings,
    LoRASettings,
    TokenData,
    TrainingResult,
    TrainingSettings,
    base_model_location,
    resolve_base_model,
    resolve_local_copy,
)
from llm_lineage.training.adapter_files import adapter_output


class OutputError(LlmLineageError, ValueError):
    """The output folder holds files that are not an adapter: publishing would delete them."""


#: One token file, or several read as one dataset (the shards of a mapped tokenization).
Datasets = str | os.PathLike[str] | Sequence[str | os.PathLike[str]]


def dataset_list(dataset: Datasets) -> list[str | os.PathLike[str]]:
    if isinstance(dataset, (str, os.PathLike)):
        return [dataset]
    return list(dataset)


@dataclass(frozen=True)
class TrainingRun:
    plan: TrainingPlan
    base: BaseModelInfo
    infos: list[SourceInfo]
    result: TrainingResult


class LoRAFineTuningHook(StepHook):
    """Fine-tune a LoRA adapter with PEFT on the tokens that TokenizationOperator wrote.

    ``plan(dataset, base_model, output, ...)`` names the run's inputs and output;
    ``fine_tune(plan)`` trains. Needs the ``[lora]`` extra (torch, transformers, peft) on the
    worker that trains; planning and lineage do not. ``hook_lineage``, ``owner`` and
    ``lock_timeout`` are ``StepHook``'s.

    :param hub_conn_id: Connection whose password is a Hugging Face token (private models).
    :param dataset_conn_id: Connection for the token dataset's object store.
    :param output_conn_id: Connection for the adapter's object store.
    :param base_model_conn_id: Connection for a base model in an object store.
    """

    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists.
    step_libraries: ClassVar[tuple[str, ...]] = (
        "pyarrow",
        "torch",
        "transformers",
        "peft",
        "safetensors",
    )

    hook_name = "LoRA fine-tuning"

    def __init__(
        self,
        hub_conn_id: str | None = None,
        dataset_conn_id: str | None = None,
        output_conn_id: str | None = None,
        base_model_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__(hook_lineage, owner, lock_timeout)
        self.hub_conn_id = hub_conn_id
        self.dataset_conn_id = dataset_conn_id
        self.output_conn_id = output_conn_id
        self.base_model_conn_id = base_model_conn_id

    def resolve_base_model(self, spec: str, revision: str | None = None) -> BaseModelInfo:
        """A local folder, an object store's folder or a hub id, and its fingerprint.

        An object store's folder (``s3://bucket/models/name``) is downloaded once per worker
        (``hooks/model_cache.py``) and named in lineage by its URI; a hub id is downloaded with
        the hub connection's token.
        """
        if is_remote(spec):
            path = storage_path(spec, self.base_model_conn_id)
            uri = location_uri(path)
            try:
                folder = local_model_copy(path, logger=self.log)
            except OSError as error:
                raise BaseModelError(f"base model {uri} cannot be read: {error}") from error
            return resolve_local_copy(uri, folder, self.log)
        token = self._password(self.hub_conn_id)
        return resolve_base_model(spec, revision=revision, token=token, logger=self.log)

    def dataset_paths(self, plan: TrainingPlan) -> list[ObjectStoragePath]:
        """Each token Parquet the plan names; refuses a plan with none, or with a missing one."""
        if not plan.datasets:
            raise DatasetError("no dataset given")
        paths = [self._path(uri, self.dataset_conn_id) for uri in plan.datasets]
        for path in paths:
            if not path.is_file():
                raise DatasetError(f"dataset {location_uri(path)} does not exist")
        return paths

    def dataset_infos(self, plan: TrainingPlan) -> list[SourceInfo]:
        return [self.dataset_info(path) for path in self.dataset_paths(plan)]

    def dataset_info(self, path: ObjectStoragePath) -> SourceInfo:
        try:
            return parquet_info(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise DatasetError(
                f"dataset {location_uri(path)} is not a Parquet file of tokens: {error}"
            ) from error

    def plan(
        self,
        dataset: Datasets,
        base_model: str,
        output: str | os.PathLike[str],
        lora: LoRASettings | dict[str, Any] | None = None,
        training: TrainingSettings | dict[str, Any] | None = None,
        revision: str | None = None,
        cost_per_hour: float | None = None,
        currency: str = "USD",
        environment_variables: Sequence[str] = (),
        distributed: DistributedSettings | dict[str, Any] | str | None = None,
    ) -> TrainingPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file.

        ``dataset`` is one token file (or folder) or a list of them, trained on as one dataset.
        ``lora`` and ``training`` are the settings models or dicts of their fields.
        ``distributed`` (``{"processes": 4}``, ``"auto"`` or ``DistributedSettings``) trains
        data-parallel on that many processes of this worker; None trains in this process.
        """
        return TrainingPlan(
            datasets=tuple(
                self._uri(parquet_path(d, self.dataset_conn_id, TOKENS_FILE))
                for d in dataset_list(dataset)
            ),
            output=self._uri(storage_path(output, self.output_conn_id)),
            base_model=base_model,
            base_location=self._base_location(base_model),
            lora=_settings(LoRASettings, lora),
            training=_settings(TrainingSettings, training),
            revision=revision,
            cost_per_hour=cost_per_hour,
            currency=currency,
            environment=allowed_environment(environment_variables),
            distributed=distributed_settings(distributed),
        )

    def _base_location(self, base_model: str) -> str:
        if is_remote(base_model):
            return location_uri(storage_path(base_model, self.base_model_conn_id))
        return base_model_location(base_model)

    def fine_tune(
        self,
        plan: TrainingPlan,
        *,
        base: BaseModelInfo | None = None,
        infos: list[SourceInfo] | None = None,
    ) -> TrainingRun:
        """Train into the plan's output (a folder in PEFT's layout), published only on success.

        ``plan`` comes from ``plan()``. The folder's ``README.md`` is a model card stating the
        adapter's lineage (see ``lineage/model_card.py``), written from the token files'
        footers. ``base`` and ``infos`` skip resolving the base model and reading the dataset's
        footers again when the caller already did (the operator does, to report them if the run
        fails). Raises TrainingFailed (with what the run got through), DatasetError,
        BaseModelError or OutputError.
        """
        output_path = self._path(plan.output, self.output_conn_id)
        _refuse_foreign_files(plan, output_path)
        source_paths = self.dataset_paths(plan)
        infos = infos or [self.dataset_info(path) for path in source_paths]
        base = base or self.resolve_base_model(plan.base_model, plan.revision)
        self._log_inputs(plan, base, infos)
        plan = resolved_plan(plan)
        with self._reported([*plan.datasets, base.location], [plan.output], Exception):
            result, replaced = self._train_and_publish(plan, output_path, source_paths, base, infos)
        assert result.output is not None
        self.log.info(
            "Wrote adapter %s, version %s: %d steps, loss %.4f -> %.4f",
            plan.output,
            result.output.content_hash,
            result.steps,
            result.loss_first,
            result.loss_last,
        )
        return TrainingRun(replace(plan, replaced=replaced), base, infos, result)

    def _log_inputs(self, plan: TrainingPlan, base: BaseModelInfo, infos: list[SourceInfo]) -> None:
        for uri, info in zip(plan.datasets, infos, strict=True):
            if info.written_by not in (None, "tokenization"):
                self.log.warning("%s was written by the %s step", uri, info.written_by)
        self.log.info(
            "Fine-tuning %s (fingerprint %s) on %s into %s",
            base.source,
            base.fingerprint[:12],
            ", ".join(plan.datasets),
            plan.output,
        )

    def _train_and_publish(
        self,
        plan: TrainingPlan,
        output_path: ObjectStoragePath,
        source_paths: list[ObjectStoragePath],
        base: BaseModelInfo,
        infos: list[SourceInfo],
    ) -> tuple[TrainingResult, bool]:
        """Train into a staged folder under the output's lock, add the model card, publish.

        Returns the result and whether an earlier adapter was replaced. ``plan.distributed``
        has been resolved (``resolved_plan``): a number of processes and a backend.
        """
        with self._publication(output_path, ADAPTER_FILES, folder_is_output=True) as unit:
            data = TokenData.open_all(
                [
                    (local_copy(path, unit.scratch), dataset_id(uri).uri)
                    for path, uri in zip(source_paths, plan.datasets, strict=True)
                ]
            )
            metadata = {**_provenance(plan, base, infos), "run_id": unit.run_id}
            result = _train(plan, data, base, unit.output, unit.scratch, self.log, metadata)
            _write_model_card(unit.output, plan, base, infos, result)
            return result, bool(unit.publish(last=ADAPTER_CONFIG))


def distributed_settings(value: Any) -> DistributedSettings | None:
    """None, ``"auto"`` (one process per GPU), a dict of ``DistributedSettings``'s fields, or one."""
    if value is None or isinstance(value, DistributedSettings):
        return value
    if value == "auto":
        return DistributedSettings(processes="auto")
    return DistributedSettings(**value)


def resolved_plan(plan: TrainingPlan) -> TrainingPlan:
    """``plan`` with "auto" in its distributed settings resolved on this worker (needs torch)."""
    if plan.distributed is None:
        return plan
    from llm_lineage.training.distributed import resolve_distributed  # torch

    return replace(plan, distributed=resolve_distributed(plan.distributed, plan.training))


def _train(
    plan: TrainingPlan,
    data: TokenData,
    base: BaseModelInfo,
    output: Path,
    scratch: Path,
    log: Any,
    metadata: dict[str, Any],
) -> TrainingResult:
    """In this process, or on ``plan.distributed.processes`` processes (rank 0 saves)."""
    if plan.distributed is None:
        from llm_lineage.training.engine import train_adapter  # torch: only when training

        return train_adapter(data, base, output, plan.lora, plan.training, log, metadata)
    from llm_lineage.training.distributed import train_distributed  # torch

    workdir = scratch / "ranks"
    workdir.mkdir()
    return train_distributed(
        data, base, output, plan.lora, plan.training, plan.distributed, workdir, log, metadata
    )


def _refuse_foreign_files(plan: TrainingPlan, output_path: ObjectStoragePath) -> None:
    """Publishing replaces the whole folder: never one that holds more than an adapter."""
    foreign = foreign_files(output_path, ADAPTER_FILES)
    if foreign:
        raise OutputError(
            f"output {plan.output} holds files that are not an adapter's "
            f"({', '.join(foreign[:5])}); publishing would replace the folder. Choose an "
            "empty or adapter-only folder"
        )


def _settings(model: Any, value: Any) -> Any:
    """A settings model from itself, a dict of its fields, or None (the defaults)."""
    if value is None:
        return model()
    if isinstance(value, model):
        return value
    return model(**value)


def _write_model_card(
    folder: Path,
    plan: TrainingPlan,
    base: BaseModelInfo,
    infos: list[SourceInfo],
    result: TrainingResult,
) -> None:
    """README.md as a model card stating the adapter's lineage, over PEFT's empty template.

    Written after training, so the card has the final compute time and cost; the folder's
    files are described again, since the card is one of them.
    """
    card = model_card(
        plan,
        base,
        infos,
        result,
        current_run(),
        code=current_code_location(),
        environment=environment_facet(result.libraries),
    )
    (folder / MODEL_CARD).write_text(card, encoding="utf-8")
    result.output = adapter_output(folder)


def _provenance(plan: TrainingPlan, base: BaseModelInfo, infos: list[SourceInfo]) -> dict[str, Any]:
    """What training_metrics.json says about the inputs: the adapter folder documents itself."""
    chain = transformation_chain(plan, base, infos)
    return {
        "datasets": [
            {"uri": dataset_id(uri).uri, "version": info.content_hash}
            for uri, info in zip(plan.datasets, infos, strict=True)
        ],
        "transformations": [
            attr.asdict(step, filter=lambda a, _: not a.name.startswith("_"))
            for step in chain.steps
        ],
    }
