"""LoRAFineTuningOperator: tokens and a base model in, a PEFT adapter out, training in lineage."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from llm_lineage.hooks.lora import LoRAFineTuningHook, TrainingRun
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.lineage.training import TrainingPlan, training_lineage
from llm_lineage.operators.assets import (
    declare_assets,
    fixed_base_model_uri,
    publish_assets,
    training_assets,
)
from llm_lineage.operators.base import StepOperator
from llm_lineage.operators.catalog_link import CatalogLink
from llm_lineage.operators.validation import (
    InvalidParameterError,
    environment_names,
    location,
    settings,
)
from llm_lineage.training import (
    BaseModelInfo,
    DistributedSettings,
    LoRASettings,
    TrainingFailed,
    TrainingResult,
    TrainingSettings,
)

if TYPE_CHECKING:
    from airflow.sdk import Context

_CURRENCY = re.compile(r"^[A-Z]{3}$")


class LoRAFineTuningOperator(StepOperator[LoRAFineTuningHook, TrainingRun], BaseOperator):
    """Fine-tune a LoRA adapter with PEFT on the tokens that TokenizationOperator wrote.

    Writes the adapter in PEFT's layout (``adapter_config.json``, ``adapter_model.safetensors``)
    plus ``training_metrics.json`` into ``output``; ``peft.PeftModel.from_pretrained`` loads it.
    Needs the ``[lora]`` extra on the worker that runs it (not where the DAG is parsed). The
    adapter is an Airflow Asset with an event per run; a literal ``base_model`` is an inlet.

    :param dataset: The tokenization output: its ``tokens.parquet`` or the folder holding it, or
        a list of them (the shards of a mapped tokenization, trained on as one dataset).
        Templated; an XComArg that resolves to a path or a list of paths works too.
    :param base_model: A model folder (``config.json``, weights, tokenizer files), local or in
        an object store (``s3://bucket/models/name``, downloaded once per worker), or a hub id.
        Templated.
    :param output: Folder for the adapter; replaced as a whole when the run succeeds. Templated
        (as the attribute ``output_folder``: ``output`` is the task's XComArg).
    :param lora: LoRA settings: a dict or ``LoRASettings`` (``r``, ``alpha``, ``dropout``,
        ``target_modules``, ``bias``, ``task_type``).
    :param training: Training settings: a dict or ``TrainingSettings`` (``learning_rate``,
        ``epochs``, ``max_steps``, ``batch_size``, ``gradient_accumulation_steps``,
        ``warmup_steps``, ``weight_decay``, ``seed``, ``precision``, ``device``, ...).
    :param cost_per_hour: Price of one device-hour; the run's estimated cost goes into lineage.
    :param cost_currency: ISO 4217 code of ``cost_per_hour``.
    :param base_model_revision: Hub revision (branch, tag or commit). Templated.
    :param hub_conn_id: Connection whose password is a Hugging Face token.
    :param dataset_conn_id: Connection for the tokens' object store. Templated; empty is none.
    :param output_conn_id: Connection for the adapter's object store. Templated.
    :param base_model_conn_id: Connection for a base model in an object store. Templated.
    :param environment_variables: Names of environment variables to record in lineage (e.g.
        ``CUDA_VISIBLE_DEVICES``); names that look like secrets are refused, and at run time a
        value that looks like a credential is dropped and URL passwords are redacted
        (``llm_lineage.lineage.secrets``).
    """

    template_fields: Sequence[str] = (
        "dataset",
        "base_model",
        "output_folder",
        "base_model_revision",
        "dataset_conn_id",
        "output_conn_id",
        "base_model_conn_id",
    )
    step_failure = TrainingFailed
    ui_color = "#fce8e6"
    operator_extra_links = (CatalogLink(),)
    catalog_output = "adapter"  # the key of the return value that CatalogLink opens
    step_libraries = LoRAFineTuningHook.step_libraries

    def __init__(
        self,
        *,
        dataset: str | Sequence[str] | Any,
        base_model: str,
        output: str,
        lora: LoRASettings | dict[str, Any] | None = None,
        training: TrainingSettings | dict[str, Any] | None = None,
        cost_per_hour: float | None = None,
        cost_currency: str = "USD",
        base_model_revision: str | None = None,
        hub_conn_id: str | None = None,
        dataset_conn_id: str | None = None,
        output_conn_id: str | None = None,
        base_model_conn_id: str | None = None,
        environment_variables: Sequence[str] = (),
        distributed: DistributedSettings | dict[str, Any] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        owner = self._task_label
        self.dataset = _datasets(owner, dataset)
        self.base_model = location(owner, "base_model", base_model)
        # ``self.output`` is Airflow's XComArg of this task, so the folder gets another name.
        self.output_folder = location(owner, "output", output)
        self.lora = settings(owner, "lora", LoRASettings, lora)
        self.training = settings(owner, "training", TrainingSettings, training)
        self.cost_per_hour = _cost(owner, cost_per_hour)
        if not isinstance(cost_currency, str) or not _CURRENCY.match(cost_currency):
            raise InvalidParameterError(
                f"{owner}: parameter 'cost_currency' must be an ISO 4217 code such as 'USD' "
                f"(got {cost_currency!r})"
            )
        self.cost_currency = cost_currency
        self.environment_variables = environment_names(owner, environment_variables)
        self.distributed = _distributed(owner, distributed, self.training)
        self.base_model_revision = base_model_revision
        self.hub_conn_id = hub_conn_id
        self.dataset_conn_id = dataset_conn_id
        self.output_conn_id = output_conn_id
        self.base_model_conn_id = base_model_conn_id
        declare_assets(self, fixed_base_model_uri(self.base_model))  # tokens: tokenize's events
        self._run: TrainingRun | None = None
        self._base: BaseModelInfo | None = None
        self._infos: list[SourceInfo] | None = None
        self._partial: TrainingResult | None = None

    def _make_hook(self) -> LoRAFineTuningHook:
        return LoRAFineTuningHook(
            hub_conn_id=self.hub_conn_id,
            dataset_conn_id=self.dataset_conn_id or None,  # a rendered "" is no connection
            output_conn_id=self.output_conn_id or None,
            base_model_conn_id=self.base_model_conn_id or None,
            hook_lineage=False,  # get_openlineage_facets_on_* report this task's lineage
        )

    def _plan(self) -> TrainingPlan:
        """The plan, from the rendered fields: here XComArgs in ``dataset`` have been resolved."""
        value = self.dataset
        values = [value] if isinstance(value, str) else list(value)
        return self.hook.plan(
            dataset=[location(self._task_label, "dataset", v) for v in values],
            base_model=self.base_model,
            output=self.output_folder,
            lora=self.lora,
            training=self.training,
            revision=self.base_model_revision or None,
            cost_per_hour=self.cost_per_hour,
            currency=self.cost_currency,
            environment_variables=self.environment_variables,
            distributed=self.distributed,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        plan = self._plan()
        self._infos = infos = self.hook.dataset_infos(plan)
        self._base = base = self.hook.resolve_base_model(plan.base_model, plan.revision)
        run = self._run_step(
            context, lambda: self.hook.fine_tune(plan, base=base, infos=infos), inputs=infos
        )
        result = run.result
        assert result.output is not None
        publish_assets(context, self, training_assets(run))
        return {
            "adapter": run.plan.output,
            "version": result.output.content_hash,
            "base_model_fingerprint": base.fingerprint,
            "steps": result.steps,
            "tokens_seen": result.tokens_seen,
            "loss_first": result.loss_first,
            "loss_last": result.loss_last,
        }

    def _lineage(self, run: TrainingRun | None, failed: bool) -> StepLineage:
        if run is not None:
            return training_lineage(run.plan, run.base, run.infos, run.result)
        if not failed:
            return training_lineage(self._plan())
        return training_lineage(self._plan(), self._base, self._infos, self._partial, failed=True)


def _cost(owner: str, value: Any) -> float | None:
    """A finite price >= 0: it is multiplied into the event, where inf or NaN is not JSON."""
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value < 0
    ):
        raise InvalidParameterError(
            f"{owner}: parameter 'cost_per_hour' must be a finite number >= 0 (got {value!r})"
        )
    return float(value)


def _distributed(owner: str, value: Any, training: TrainingSettings) -> DistributedSettings | None:
    """None, ``"auto"``, a dict of ``DistributedSettings``'s fields or one, fitting the device."""
    if value is None:
        return None
    if isinstance(value, str):
        if value != "auto":
            raise InvalidParameterError(
                f"{owner}: parameter 'distributed' must be 'auto', a dict such as "
                f"{{'processes': 2}} or DistributedSettings (got {value!r})"
            )
        value = {"processes": "auto"}
    chosen = settings(owner, "distributed", DistributedSettings, value)
    if chosen.backend == "nccl" and training.device == "cpu":
        raise InvalidParameterError(
            f"{owner}: parameter 'distributed.backend': 'nccl' runs on GPUs only, and "
            "training.device is 'cpu' (use 'gloo' or 'auto')"
        )
    return chosen


def _datasets(owner: str, value: Any) -> Any:
    """A path, a list of paths, or something Airflow resolves later (an XComArg)."""
    if isinstance(value, str):
        return location(owner, "dataset", value)
    if isinstance(value, (list, tuple)):
        if not value:
            raise InvalidParameterError(f"{owner}: parameter 'dataset' is an empty list")
        return [location(owner, "dataset", v) for v in value]
    if hasattr(value, "resolve"):  # XComArg: checked once rendered
        return value
    raise InvalidParameterError(
        f"{owner}: parameter 'dataset' must be a path, a list of paths or an XComArg "
        f"(got {value!r})"
    )
