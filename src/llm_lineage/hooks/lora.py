"""LoRAFineTuningHook: resolve a base model, train a LoRA adapter on token Parquet, publish it."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import attr
import pyarrow as pa
from airflow.sdk import BaseHook, ObjectStoragePath

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.hooks.collector import report_hook_lineage
from llm_lineage.hooks.openlineage_run import current_run
from llm_lineage.hooks.publishing import foreign_files, publication
from llm_lineage.hooks.storage import (
    local_copy,
    location_uri,
    parquet_info,
    parquet_path,
    storage_path,
)
from llm_lineage.lineage.model_card import model_card
from llm_lineage.lineage.naming import dataset_id
from llm_lineage.lineage.standard_facets import SourceInfo
from llm_lineage.lineage.training import (
    TrainingPlan,
    allowed_environment,
    transformation_chain,
)
from llm_lineage.tokenization import TOKENS_FILE
from llm_lineage.training import (
    ADAPTER_CONFIG,
    ADAPTER_FILES,
    MODEL_CARD,
    BaseModelInfo,
    DatasetError,
    LoRASettings,
    TokenData,
    TrainingResult,
    TrainingSettings,
    base_model_location,
    resolve_base_model,
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


class LoRAFineTuningHook(BaseHook):
    """Fine-tune a LoRA adapter with PEFT on the tokens that TokenizationOperator wrote.

    Needs the ``[lora]`` extra (torch, transformers, peft) on the worker that trains; planning
    and lineage do not.

    :param hub_conn_id: Connection whose password is a Hugging Face token (private models).
    :param dataset_conn_id: Connection for the token dataset's object store.
    :param output_conn_id: Connection for the adapter's object store.
    :param hook_lineage: Report inputs and outputs to Airflow's hook lineage collector.
    :param owner: Names this run to a second run that finds the output busy (default: the
        Airflow task instance).
    :param lock_timeout: Seconds to wait while another run writes the output; 0 fails at once.
    """

    hook_name = "LoRA fine-tuning"

    def __init__(
        self,
        hub_conn_id: str | None = None,
        dataset_conn_id: str | None = None,
        output_conn_id: str | None = None,
        hook_lineage: bool = True,
        owner: str | None = None,
        lock_timeout: float = 0.0,
    ) -> None:
        super().__init__()
        self.hub_conn_id = hub_conn_id
        self.dataset_conn_id = dataset_conn_id
        self.output_conn_id = output_conn_id
        self.hook_lineage = hook_lineage
        self.owner = owner
        self.lock_timeout = lock_timeout

    def resolve_base_model(self, spec: str, revision: str | None = None) -> BaseModelInfo:
        """A local folder or hub id (downloaded, with the connection's token) and its fingerprint."""
        token = self.get_connection(self.hub_conn_id).password if self.hub_conn_id else None
        return resolve_base_model(spec, revision=revision, token=token, logger=self.log)

    def _locations(self, dataset: Datasets) -> list[ObjectStoragePath]:
        return [parquet_path(d, self.dataset_conn_id, TOKENS_FILE) for d in dataset_list(dataset)]

    def dataset_paths(self, dataset: Datasets) -> list[ObjectStoragePath]:
        """Each token Parquet: the path itself, or its tokens.parquet for a folder."""
        paths = self._locations(dataset)
        if not paths:
            raise DatasetError("no dataset given")
        for path in paths:
            if not path.is_file():
                raise DatasetError(f"dataset {location_uri(path)} does not exist")
        return paths

    def dataset_infos(self, dataset: Datasets) -> list[SourceInfo]:
        return [self.dataset_info(path) for path in self.dataset_paths(dataset)]

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
        lora: LoRASettings | None = None,
        training: TrainingSettings | None = None,
        revision: str | None = None,
        cost_per_hour: float | None = None,
        currency: str = "USD",
        environment_variables: Sequence[str] = (),
    ) -> TrainingPlan:
        """Where a run reads and writes; touches storage only to tell a folder from a file."""
        return TrainingPlan(
            datasets=tuple(
                location_uri(parquet_path(d, self.dataset_conn_id, TOKENS_FILE))
                for d in dataset_list(dataset)
            ),
            output=location_uri(storage_path(output, self.output_conn_id)),
            base_model=base_model,
            base_location=base_model_location(base_model),
            lora=lora or LoRASettings(),
            training=training or TrainingSettings(),
            revision=revision,
            cost_per_hour=cost_per_hour,
            currency=currency,
            environment=allowed_environment(environment_variables),
        )

    def fine_tune(
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
        base: BaseModelInfo | None = None,
        infos: list[SourceInfo] | None = None,
    ) -> TrainingRun:
        """Train into ``output`` (a folder in PEFT's layout), published only if the run succeeds.

        ``dataset`` is one token file (or folder) or a list of them, trained on as one dataset.
        The folder's ``README.md`` is a model card stating the adapter's lineage (see
        ``lineage/model_card.py``), written from the token files' footers. ``base`` and
        ``infos`` skip resolving the base model and reading the dataset's footer again when the
        caller already did (the operator does, to report them if the run fails).
        Raises TrainingFailed (with what the run got through), DatasetError, BaseModelError or
        OutputError.
        """
        plan = self.plan(
            dataset,
            base_model,
            output,
            _settings(LoRASettings, lora),
            _settings(TrainingSettings, training),
            revision,
            cost_per_hour,
            currency,
            environment_variables,
        )
        output_path = storage_path(output, self.output_conn_id)
        _refuse_foreign_files(plan, output_path)
        source_paths = self.dataset_paths(dataset)
        infos = infos or [self.dataset_info(path) for path in source_paths]
        base = base or self.resolve_base_model(base_model, revision)
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
        inputs = [*plan.datasets, base.location]
        try:
            result, replaced = self._train_and_publish(plan, output_path, source_paths, base, infos)
        except Exception:
            self._report(inputs, [])
            raise
        self._report(inputs, [plan.output])
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

    def _train_and_publish(
        self,
        plan: TrainingPlan,
        output_path: ObjectStoragePath,
        source_paths: list[ObjectStoragePath],
        base: BaseModelInfo,
        infos: list[SourceInfo],
    ) -> tuple[TrainingResult, bool]:
        """Train into a staged folder under the output's lock, add the model card, publish.

        Returns the result and whether an earlier adapter was replaced.
        """
        from llm_lineage.training.engine import train_adapter  # torch: only when training

        with publication(
            output_path,
            ADAPTER_FILES,
            owner=self.owner,
            lock_timeout=self.lock_timeout,
            folder_is_output=True,
            logger=self.log,
        ) as unit:
            data = TokenData.open_all(
                [
                    (local_copy(path, unit.scratch), dataset_id(uri).uri)
                    for path, uri in zip(source_paths, plan.datasets, strict=True)
                ]
            )
            result = train_adapter(
                data,
                base,
                unit.output,
                plan.lora,
                plan.training,
                self.log,
                metadata={**_provenance(plan, base, infos), "run_id": unit.run_id},
            )
            _write_model_card(unit.output, plan, base, infos, result)
            return result, bool(unit.publish(last=ADAPTER_CONFIG))

    def _report(self, inputs: list[str], outputs: list[str]) -> None:
        if self.hook_lineage:
            report_hook_lineage(self, inputs, outputs)


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
    if value is None or isinstance(value, model):
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
    card = model_card(plan, base, infos, result, current_run())
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
