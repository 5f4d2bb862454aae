"""LoRAFineTuningOperator: wrong settings fail at parse time naming the field; START lineage."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from openlineage.client.serde import Serde

from llm_lineage.operators.lora import LoRAFineTuningOperator
from llm_lineage.operators.validation import InvalidParameterError
from llm_lineage.training import DistributedSettings, LoRASettings, TrainingSettings
from olvalidate import validate_facet


def _operator(**overrides: object) -> LoRAFineTuningOperator:
    arguments: dict[str, object] = {
        "task_id": "fine_tune",
        "dataset": "/data/tokens",
        "base_model": "/models/base",
        "output": "/models/adapter",
    }
    arguments.update(overrides)
    return LoRAFineTuningOperator(**arguments)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"lora": {"r": 0}}, "lora.r"),
        ({"lora": {"dropout": 1.5}}, "lora.dropout"),
        ({"lora": {"bias": "some"}}, "lora.bias"),
        ({"lora": {"task_type": "SEQ_CLS"}}, "lora.task_type"),
        ({"lora": {"target_modules": []}}, "lora.target_modules"),
        ({"lora": {"rank": 8}}, "lora.rank"),
        ({"lora": "r=8"}, "lora"),
        ({"training": {"learning_rate": 0}}, "training.learning_rate"),
        ({"training": {"epochs": 0}}, "training.epochs"),
        ({"training": {"max_steps": -1}}, "training.max_steps"),
        ({"training": {"batch_size": "big"}}, "training.batch_size"),
        ({"training": {"gradient_accumulation_steps": 0}}, "training.gradient_accumulation_steps"),
        ({"training": {"warmup_steps": -1}}, "training.warmup_steps"),
        ({"training": {"weight_decay": -0.1}}, "training.weight_decay"),
        ({"training": {"seed": -1}}, "training.seed"),
        ({"training": {"precision": "fp8"}}, "training.precision"),
        ({"training": {"device": "tpu"}}, "training.device"),
        ({"training": {"precision": "fp16", "device": "cpu"}}, "training.device"),
        ({"training": {"max_steps": 5, "warmup_steps": 10}}, "training.warmup_steps"),
        ({"cost_per_hour": -1}, "cost_per_hour"),
        ({"cost_per_hour": "2 dollars"}, "cost_per_hour"),
        ({"cost_per_hour": True}, "cost_per_hour"),
        ({"cost_currency": "dollars"}, "cost_currency"),
        ({"environment_variables": "CUDA_VISIBLE_DEVICES"}, "environment_variables"),
        ({"environment_variables": ["HF_TOKEN"]}, "environment_variables"),
        ({"output": ""}, "output"),
        ({"base_model": None}, "base_model"),
        ({"distributed": {"processes": 0}}, "distributed.processes"),
        ({"distributed": {"processes": 65}}, "distributed.processes"),
        ({"distributed": {"processes": True}}, "distributed.processes"),
        ({"distributed": {"processes": "many"}}, "distributed.processes"),
        ({"distributed": {"backend": "mpi"}}, "distributed.backend"),
        ({"distributed": {"nodes": 2}}, "distributed.nodes"),
        ({"distributed": "all"}, "distributed"),
        ({"distributed": 4}, "distributed"),
        (
            {"distributed": {"backend": "nccl"}, "training": {"device": "cpu"}},
            "distributed.backend",
        ),
    ],
)
def test_wrong_parameter_is_named(overrides: dict[str, object], parameter: str) -> None:
    with pytest.raises(InvalidParameterError, match=rf"parameter '{parameter}'") as raised:
        _operator(**overrides)
    assert "task_id='fine_tune'" in str(raised.value)


def test_distributed_takes_auto_a_dict_or_none() -> None:
    assert _operator().distributed is None
    assert _operator(distributed="auto").distributed == DistributedSettings(processes="auto")
    chosen = _operator(distributed={"processes": 2, "backend": "gloo"}).distributed
    assert chosen == DistributedSettings(processes=2, backend="gloo")


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"cost_per_hour": math.inf}, "cost_per_hour"),
        ({"cost_per_hour": math.nan}, "cost_per_hour"),
        ({"training": {"learning_rate": math.inf}}, "training.learning_rate"),
        ({"training": {"learning_rate": math.nan}}, "training.learning_rate"),
        ({"training": {"weight_decay": math.inf}}, "training.weight_decay"),
        ({"training": {"max_grad_norm": math.inf}}, "training.max_grad_norm"),
        ({"training": {"progress_interval": math.inf}}, "training.progress_interval"),
        ({"lora": {"dropout": math.nan}}, "lora.dropout"),
    ],
)
def test_nan_and_infinity_are_refused_by_name(overrides: dict[str, object], parameter: str) -> None:
    """They would reach the events as bare ``Infinity``/``NaN``, which is not JSON."""
    with pytest.raises(InvalidParameterError, match=rf"parameter '{parameter}'") as raised:
        _operator(**overrides)
    assert "finite" in str(raised.value)


@pytest.mark.parametrize(
    "field",
    [
        "epochs",
        "max_steps",
        "batch_size",
        "gradient_accumulation_steps",
        "warmup_steps",
        "seed",
        "shuffle_buffer",
        "learning_rate",
    ],
)
def test_booleans_are_not_numbers(field: str) -> None:
    """Pydantic's lax mode would read True as 1."""
    with pytest.raises(
        InvalidParameterError, match=rf"parameter 'training.{field}': .*not a boolean"
    ):
        _operator(training={field: True})
    with pytest.raises(InvalidParameterError, match=r"parameter 'lora.r': .*not a boolean"):
        _operator(lora={"r": True})


def test_cross_field_errors_name_the_later_field_as_written() -> None:
    with pytest.raises(InvalidParameterError) as raised:
        _operator(training={"max_steps": 5, "warmup_steps": 10})
    assert str(raised.value) == (
        "LoRAFineTuningOperator(task_id='fine_tune'): parameter 'training.warmup_steps': "
        "warmup_steps (10) is more than max_steps (5) (got 10)"
    )
    with pytest.raises(InvalidParameterError) as raised:
        _operator(training={"precision": "fp16", "device": "cpu"})
    assert "parameter 'training.device': precision='fp16' needs device='cuda'" in str(raised.value)


def test_settings_accept_dicts_or_models_with_defaults() -> None:
    operator = _operator(lora={"r": 4, "target_modules": "c_attn"}, training=TrainingSettings())
    assert operator.lora == LoRASettings(r=4, target_modules=("c_attn",))
    assert operator.training.learning_rate == 2e-4 and operator.training.device == "auto"
    assert _operator().lora.r == 8
    assert {"dataset", "base_model", "output_folder", "base_model_revision"} <= set(
        operator.template_fields
    )


def test_start_lineage_names_inputs_and_output_without_torch_work(monkeypatch) -> None:
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    operator = _operator(
        base_model="acme/tiny-gpt2", environment_variables=["CUDA_VISIBLE_DEVICES", "UNSET_VAR"]
    )
    lineage = operator.get_openlineage_facets_on_start()
    assert [(d.namespace, d.name) for d in lineage.inputs] == [
        ("file", "/data/tokens"),
        ("https://huggingface.co", "acme/tiny-gpt2"),
    ]
    assert [(d.namespace, d.name) for d in lineage.outputs] == [("file", "/models/adapter")]
    assert lineage.inputs[1].facets["datasetType"].datasetType == "MODEL"
    assert lineage.outputs[0].facets["datasetType"].subType == "LORA_ADAPTER"
    variables = lineage.run_facets["environmentVariables"].environmentVariables
    assert [(v.name, v.value) for v in variables] == [("CUDA_VISIBLE_DEVICES", "0")]
    datasets = [*lineage.inputs, *lineage.outputs]
    for facet in [*lineage.run_facets.values(), *(f for d in datasets for f in d.facets.values())]:
        validate_facet(json.loads(Serde.to_json(facet)))


def test_dag_with_a_wrong_setting_is_an_import_error(tmp_path: Path) -> None:
    (tmp_path / "broken.py").write_text(
        textwrap.dedent(
            """
            import datetime
            from airflow.sdk import DAG
            from llm_lineage.operators.lora import LoRAFineTuningOperator

            with DAG("broken", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
                LoRAFineTuningOperator(
                    task_id="fine_tune", dataset="/in", base_model="/base", output="/out",
                    training={"learning_rate": -0.1},
                )
            """
        )
    )
    bag = DagBag(dag_folder=str(tmp_path))
    assert "broken" not in bag.dags
    [message] = bag.import_errors.values()
    assert "parameter 'training.learning_rate'" in message and "greater than 0" in message


def test_dags_using_the_operator_parse_without_torch() -> None:
    """The scheduler and DAG processor need not install the [lora] extra."""
    code = textwrap.dedent(
        """
        import sys
        class NoTorch:
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in ("torch", "peft", "transformers"):
                    raise ImportError(f"{name} is blocked")
        sys.meta_path.insert(0, NoTorch())
        from llm_lineage.operators.lora import LoRAFineTuningOperator
        op = LoRAFineTuningOperator(task_id="t", dataset="/d", base_model="/b", output="/o")
        op.get_openlineage_facets_on_start()
        print("torch" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "False"
