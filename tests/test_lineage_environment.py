"""The environment facet: the fingerprint of the installed distributions, and what it names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from openlineage.client.serde import Serde

from llm_lineage.facets import PRODUCER
from llm_lineage.lineage.environment import (
    environment_facet,
    fingerprint,
    installed,
    scan_distributions,
)
from llm_lineage.lineage.provenance import StepProvenance, with_provenance
from llm_lineage.lineage.standard_facets import StepLineage
from olvalidate import validate_facet

SRC = Path(__file__).resolve().parents[1] / "src"
_PRINT = (
    "from llm_lineage.lineage.environment import installed; d, f = installed(); print(f, len(d))"
)


def _fingerprint_in_a_process(extra_path: Path | None = None) -> tuple[str, int]:
    path = [str(extra_path)] if extra_path else []
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*path, str(SRC)])}
    out = subprocess.run(
        [sys.executable, "-c", _PRINT], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    return out[0], int(out[1])


def _fake_distribution(folder: Path, name: str, version: str) -> None:
    info = folder / f"{name}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


def test_two_processes_in_one_venv_agree() -> None:
    assert _fingerprint_in_a_process() == _fingerprint_in_a_process()


def test_installing_or_upgrading_one_distribution_changes_it(tmp_path: Path) -> None:
    base, count = _fingerprint_in_a_process(tmp_path / "empty")
    added = tmp_path / "added"
    _fake_distribution(added, "llm_lineage_test_dist", "1.0")
    with_one, count_with_one = _fingerprint_in_a_process(added)
    assert with_one != base and count_with_one == count + 1
    upgraded = tmp_path / "upgraded"
    _fake_distribution(upgraded, "llm_lineage_test_dist", "1.1")
    assert _fingerprint_in_a_process(upgraded)[0] not in (base, with_one)
    # an installed distribution shadowed by another version earlier on sys.path: as on import
    pyarrow = next(version for name, version in installed()[0] if name == "pyarrow")
    shadow = tmp_path / "shadow"
    _fake_distribution(shadow, "pyarrow", pyarrow + ".post1")
    shadowed, shadowed_count = _fingerprint_in_a_process(shadow)
    assert shadowed != base and shadowed_count == count


def test_the_scan_matches_importlib_metadata() -> None:
    from importlib.metadata import distributions

    from llm_lineage.lineage.environment import normalized

    expected: dict[str, str] = {}
    for dist in distributions():
        expected.setdefault(normalized(dist.metadata["Name"]), dist.version)
    assert scan_distributions(sys.path) == expected


def test_fingerprint_is_the_sorted_name_version_lines() -> None:
    import hashlib

    assert fingerprint({"b": "2", "a": "1"}) == hashlib.sha256(b"a==1\nb==2").hexdigest()


def test_the_facet_validates_and_names_the_step_libraries() -> None:
    facet = environment_facet(["pyarrow", "tokenizers"])
    data = json.loads(Serde.to_json(facet))
    validate_facet(data)
    assert set(data["libraries"]) == {"pyarrow", "tokenizers"}
    assert data["fingerprint"] == installed()[1]
    assert data["_producer"] == PRODUCER
    assert data["pythonVersion"] == ".".join(map(str, sys.version_info[:3]))


def test_with_provenance_adds_the_facets_every_step_shares() -> None:
    lineage = with_provenance(
        StepLineage(), StepProvenance(libraries=("pyarrow",), environment=(("REGION", "eu"),))
    )
    assert set(lineage.run_facets) == {"llmLineage_environment", "environmentVariables"}
    assert "sourceCodeLocation" not in lineage.job_facets  # no code location known


def test_accelerator_from_the_nvidia_driver_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The format of /proc/driver/nvidia on a GPU machine; no GPU here, so a copy of its shape."""
    from llm_lineage.lineage import environment

    (tmp_path / "version").write_text(
        "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  570.124.06  Release Build\n"
        "GCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n"
    )
    for index, name in enumerate(("NVIDIA H100 80GB HBM3", "NVIDIA H100 80GB HBM3")):
        gpu = tmp_path / "gpus" / f"0000:0{index}:00.0"
        gpu.mkdir(parents=True)
        (gpu / "information").write_text(f"Model: \t\t {name}\nIRQ:   \t\t 42\n")
    monkeypatch.setattr(environment, "_NVIDIA", tmp_path)
    monkeypatch.delitem(sys.modules, "torch", raising=False)
    found = environment.accelerator()
    assert found is not None
    assert (found.kind, found.deviceCount, found.deviceName, found.driverVersion) == (
        "cuda",
        2,
        "NVIDIA H100 80GB HBM3",
        "570.124.06",
    )
    monkeypatch.setattr(environment, "_NVIDIA", tmp_path / "absent")
    assert environment.accelerator() is None
