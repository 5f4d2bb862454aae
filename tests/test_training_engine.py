"""The LoRA engine on a tiny GPT-2: it learns, saves a loadable adapter, and fails clearly."""

from __future__ import annotations

import json
import logging
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM

from llm_lineage.training import (
    ADAPTER_CONFIG,
    ADAPTER_WEIGHTS,
    METRICS_FILE,
    BaseModelError,
    BaseModelInfo,
    DatasetError,
    FailureKind,
    LoRASettings,
    TokenData,
    TrainingFailed,
    TrainingResult,
    TrainingSettings,
    resolve_base_model,
)
from llm_lineage.training.engine import train_adapter
from lora_fixtures import repetitive_blocks, tiny_base, write_tokens

FAST = {"learning_rate": 1e-2, "batch_size": 8, "progress_interval": 0.01}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_base(tmp_path_factory.mktemp("base") / "tiny-gpt2")


@pytest.fixture(scope="module")
def info(base: Path) -> BaseModelInfo:
    return resolve_base_model(base)


@pytest.fixture(scope="module")
def tokens(base: Path, tmp_path_factory: pytest.TempPathFactory) -> TokenData:
    path = write_tokens(
        tmp_path_factory.mktemp("tokens") / "tokens.parquet", repetitive_blocks(base)
    )
    return TokenData.open(path, "tokens.parquet")


def train(
    data: TokenData, info: BaseModelInfo, out: Path, lora: dict | None = None, **training: object
) -> TrainingResult:
    out.mkdir(parents=True, exist_ok=True)
    return train_adapter(
        data, info, out, LoRASettings(**(lora or {})), TrainingSettings(**{**FAST, **training})
    )


def test_training_lowers_the_loss_and_writes_peft_layout(tokens, info, tmp_path) -> None:
    result = train(tokens, info, tmp_path, epochs=4, learning_rate=3e-2)
    assert result.steps == result.planned_steps == 4 * 6  # 48 blocks / batch 8, four epochs
    assert result.loss_first is not None and result.loss_last is not None
    # Random frozen weights and a rank-8 update on c_attn: the loss falls, but slowly.
    assert result.loss_last < result.loss_first - 0.25, [p.loss for p in result.losses]
    assert result.tokens_seen == 4 * 48 * 32
    assert result.epochs_done == pytest.approx(4.0)
    assert result.target_modules == ("c_attn",)  # PEFT's default for GPT-2
    assert 0 < (result.trainable_parameters or 0) < (result.total_parameters or 0)
    assert result.device == "cpu" and result.precision == "fp32"
    assert result.wall_seconds >= result.train_seconds > 0  # one clock for both
    assert result.cpu_seconds > 0
    assert result.peak_memory_bytes is not None and result.peak_memory_bytes > 0
    names = {p.name for p in tmp_path.iterdir()}
    assert {ADAPTER_CONFIG, ADAPTER_WEIGHTS, METRICS_FILE} <= names
    assert result.output is not None
    weights = next(f for f in result.output.files if f.name == ADAPTER_WEIGHTS)
    assert result.output.content_hash == weights.sha256


def test_adapter_loads_and_changes_the_base_models_outputs(tokens, info, base, tmp_path) -> None:
    train(tokens, info, tmp_path, epochs=2)
    ids = torch.tensor([tokens.batches(1, 0, 0, 0).__next__()[0]])
    plain = AutoModelForCausalLM.from_pretrained(base).eval()
    with torch.no_grad():
        before = plain(input_ids=ids).logits
    tuned = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), tmp_path).eval()
    with torch.no_grad():
        after = tuned(input_ids=ids).logits
    assert not torch.allclose(before, after, atol=1e-4)
    with torch.no_grad(), tuned.disable_adapter():
        assert torch.allclose(before, tuned(input_ids=ids).logits, atol=1e-5)


def test_same_seed_same_adapter_other_seed_other_adapter(tokens, info, tmp_path) -> None:
    first = train(tokens, info, tmp_path / "a", seed=7, max_steps=5)
    again = train(tokens, info, tmp_path / "b", seed=7, max_steps=5)
    other = train(tokens, info, tmp_path / "c", seed=8, max_steps=5)
    assert first.output and again.output and other.output
    assert first.output.content_hash == again.output.content_hash
    assert [p.loss for p in first.losses] == [p.loss for p in again.losses]
    assert other.output.content_hash != first.output.content_hash


def test_steps_follow_max_steps_and_gradient_accumulation(tokens, info, tmp_path) -> None:
    result = train(tokens, info, tmp_path / "a", batch_size=4, gradient_accumulation_steps=5)
    assert result.planned_steps == result.steps == 3  # 12 micro-batches: 5 + 5 + 2
    result = train(tokens, info, tmp_path / "b", max_steps=10, epochs=1)
    assert result.steps == 10 and result.epochs_done == pytest.approx(80 / 48)
    assert len(result.loss_curve(4)) == 4
    assert result.loss_curve(4)[-1] == result.losses[-1]


def test_nan_loss_fails_with_the_step_and_keeps_progress(tokens, info, tmp_path) -> None:
    with pytest.raises(TrainingFailed, match=r"loss became nan at step \d+ .*learning_rate") as err:
        train(tokens, info, tmp_path, learning_rate=1e30, max_grad_norm=None, max_steps=20)
    assert err.value.kind is FailureKind.NAN_LOSS
    assert err.value.result.steps >= 1 and err.value.result.tokens_seen > 0
    assert not (tmp_path / ADAPTER_WEIGHTS).exists()


OOM_SCRIPT = """
import resource, sys
from pathlib import Path
from llm_lineage.training import LoRASettings, TokenData, TrainingFailed, TrainingSettings
from llm_lineage.training import resolve_base_model
from llm_lineage.training.engine import train_adapter
base, tokens, out = map(Path, sys.argv[1:4])
info, data = resolve_base_model(base), TokenData.open(tokens, "big.parquet")
vm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmSize"))
limit = vm * 1024 + 300 * 2**20  # what the process has mapped, plus 300 MiB
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    train_adapter(data, info, out, LoRASettings(), TrainingSettings(batch_size=4096, max_steps=1))
except TrainingFailed as failure:
    print("KIND", failure.kind.value)
    print("MESSAGE", failure)
"""


def test_out_of_memory_is_named_with_advice(base, tmp_path) -> None:
    """A real allocation failure: the training process runs under a 300 MiB address-space cap."""
    rows = [[(i + j) % 300 + 1 for i in range(64)] for j in range(4096)]
    big = write_tokens(tmp_path / "big.parquet", rows)
    (tmp_path / "out").mkdir()
    done = subprocess.run(
        [sys.executable, "-c", OOM_SCRIPT, str(base), str(big), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "KIND out_of_memory" in done.stdout, done.stdout + done.stderr[-3000:]
    assert "lower training.batch_size" in done.stdout
    assert not any((tmp_path / "out").iterdir())


def test_dataset_without_input_ids_names_the_file(tmp_path) -> None:
    path = write_tokens(tmp_path / "text.parquet", [[1, 2]], column="token_ids")
    with pytest.raises(DatasetError, match=r"text\.parquet has no 'input_ids' column"):
        TokenData.open(path, str(path))
    with pytest.raises(DatasetError, match="not a Parquet file"):
        TokenData.open(tmp_path / "text.parquet.missing", "missing.parquet")
    with pytest.raises(DatasetError, match="has no sequences"):
        TokenData.open(write_tokens(tmp_path / "empty.parquet", []), "empty.parquet")


def test_token_ids_outside_the_vocabulary_fail_as_a_dataset_error(info, tmp_path) -> None:
    data = TokenData.open(write_tokens(tmp_path / "t.parquet", [[1, 2, 5000]]), "t.parquet")
    with pytest.raises(TrainingFailed, match=r"token id 5000, outside .* vocabulary of 400") as err:
        train(data, info, tmp_path / "out")
    assert err.value.kind is FailureKind.DATASET


def test_sequences_longer_than_the_models_positions_fail(info, tmp_path) -> None:
    data = TokenData.open(write_tokens(tmp_path / "t.parquet", [[1] * 65]), "t.parquet")
    with pytest.raises(TrainingFailed, match="65 tokens, more than the base model's 64"):
        train(data, info, tmp_path / "out")


def test_base_model_that_does_not_load(tokens, base, tmp_path) -> None:
    with pytest.raises(BaseModelError, match="base model folder not found"):
        resolve_base_model(tmp_path / "nothing-here")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(BaseModelError, match=r"has no config\.json"):
        resolve_base_model(empty)
    (empty / "config.json").write_text((base / "config.json").read_text())
    with pytest.raises(BaseModelError, match="has no weights"):
        resolve_base_model(empty)
    (empty / "model.safetensors").write_bytes(b"\x00" * 100)  # corrupt weights
    with pytest.raises(TrainingFailed, match="did not load from") as err:
        train(tokens, resolve_base_model(empty), tmp_path / "out")
    assert err.value.kind is FailureKind.BASE_MODEL


def test_lora_target_modules_missing_from_the_model(tokens, info, tmp_path) -> None:
    with pytest.raises(TrainingFailed, match="LoRA settings do not fit") as err:
        train(tokens, info, tmp_path, lora={"target_modules": ["q_proj"]})
    assert err.value.kind is FailureKind.ADAPTER
    # The message lists the names that do exist in the tiny GPT-2, so the fix is one look away.
    listed = str(err.value).split("modules LoRA can adapt in this model: ", 1)[1]
    assert listed.split(", ") == ["c_attn", "c_fc", "c_proj", "lm_head", "wpe", "wte"]


def test_fingerprint_depends_on_weights_not_on_the_path(base, info, tmp_path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in base.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    assert resolve_base_model(copy).fingerprint == info.fingerprint
    weights = copy / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 1
    weights.write_bytes(bytes(data))
    assert resolve_base_model(copy).fingerprint != info.fingerprint


def test_hub_ids_download_a_snapshot(base, monkeypatch) -> None:
    import huggingface_hub

    calls = []

    def snapshot_download(repo_id, revision=None, token=None, allow_patterns=None):
        calls.append((repo_id, revision, token))
        return str(base)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)
    info = resolve_base_model("acme/tiny-gpt2", revision="main", token="secret")
    assert calls[0] == ("acme/tiny-gpt2", "main", "secret")
    assert info.location == "https://huggingface.co/acme/tiny-gpt2"
    assert info.resolved_revision == base.name
    assert "secret" not in repr(info)


def test_several_token_files_train_as_one_dataset(base, info, tmp_path) -> None:
    blocks = repetitive_blocks(base, blocks=24)
    first = write_tokens(tmp_path / "a.parquet", blocks[:10])
    second = write_tokens(tmp_path / "b.parquet", blocks[10:])
    data = TokenData.open_all([(first, "a.parquet"), (second, "b.parquet")])
    assert data.sequences == 24
    result = train(data, info, tmp_path / "out", epochs=2)
    assert result.rows_read == [20, 28]
    assert result.sequences_seen == 48
    bad = write_tokens(tmp_path / "bad.parquet", [[1, 2, 999]])
    mixed = TokenData.open_all([(first, "a.parquet"), (bad, "bad.parquet")])
    with pytest.raises(TrainingFailed, match=r"dataset bad\.parquet holds token id 999"):
        train(mixed, info, tmp_path / "out2", shuffle_buffer=0)


def test_cuda_requested_without_a_gpu_fails_as_a_device_error(tokens, info, tmp_path) -> None:
    if torch.cuda.is_available():
        pytest.skip("this worker has a GPU")
    with pytest.raises(TrainingFailed, match="no CUDA device is visible") as err:
        train(tokens, info, tmp_path, device="cuda")
    assert err.value.kind is FailureKind.DEVICE


def test_bf16_mixed_precision_trains_on_cpu(tokens, info, tmp_path) -> None:
    result = train(tokens, info, tmp_path, precision="bf16", device="cpu", max_steps=3)
    assert result.precision == "bf16" and result.steps == 3
    assert all(p.loss == p.loss for p in result.losses)  # finite, not NaN


@pytest.fixture
def umask_022():
    """The usual umask, so that a file left 0600 differs from one that ``open()`` made."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_every_adapter_file_gets_the_mode_open_gives(tokens, info, tmp_path, umask_022) -> None:
    train(tokens, info, tmp_path, max_steps=1)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes == dict.fromkeys(
        [ADAPTER_CONFIG, ADAPTER_WEIGHTS, METRICS_FILE, "README.md"], 0o644
    )


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def library_warnings():
    """Python warnings and transformers' logged warnings during the test, as strings.

    transformers logs to its own logger, which does not propagate, and logs some messages
    once per process: the cache is cleared so that an earlier test cannot hide them.
    """
    records = _Records()
    library = logging.getLogger("transformers")
    library.addHandler(records)
    logging.Logger.warning_once.cache_clear()  # type: ignore[attr-defined]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield lambda: [f"{w.category.__name__}: {w.message}" for w in caught] + records.messages
    library.removeHandler(records)


@pytest.mark.parametrize("target_modules", [None, ["c_attn", "c_proj"], "all-linear"])
def test_a_run_emits_no_library_warnings(
    tokens, info, tmp_path, library_warnings, target_modules
) -> None:
    """PEFT's fan_in_fan_out warning, transformers' is_gradient_checkpointing FutureWarning and
    its loss_type=None message, each fixed where it arises.
    """
    train(tokens, info, tmp_path, lora={"target_modules": target_modules}, max_steps=2)
    assert library_warnings() == []
    assert json.loads((tmp_path / ADAPTER_CONFIG).read_text())["fan_in_fan_out"] is True


def test_fan_in_fan_out_only_when_every_adapted_module_is_conv1d(base) -> None:
    """GPT-2's attention and MLP are transformers' Conv1D, weights stored (in, out); its output
    head is an nn.Linear, which LoRA must not transpose.
    """
    from llm_lineage.training.setup import _adapted_modules, _all_conv1d

    model = AutoModelForCausalLM.from_pretrained(base)
    assert _all_conv1d(_adapted_modules(model, None))  # PEFT's default for GPT-2: c_attn
    assert _all_conv1d(_adapted_modules(model, "all-linear"))  # the head is left out
    # two layers, each with c_attn, attn.c_proj and mlp.c_proj
    assert len(_adapted_modules(model, ["c_attn", "c_proj"])) == 6
    assert not _all_conv1d(_adapted_modules(model, ["lm_head"]))
    assert not _all_conv1d(_adapted_modules(model, ["c_attn", "lm_head"]))
    assert not _all_conv1d(_adapted_modules(model, ["no_such_module"]))
