"""The Makefile does what the documentation says (read with ``make -n``: nothing is run).

``TORCH_INDEX`` picks the index torch comes from and is empty by default; ``make venv``
installs the ``[docs]`` extra with the others; ``make constraints`` pins torch without a build
label, so the CPU and the CUDA build both satisfy ``constraints.txt``; ``make docs-check`` builds
the site strictly and CI runs it after ``make lint``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def dry_run(*arguments: str) -> list[str]:
    """The commands ``make`` would run (``-B``: as if nothing were built yet)."""
    result = subprocess.run(
        ["make", "-n", "-B", "--no-print-directory", "-C", str(REPO), *arguments],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def torch_line(*arguments: str) -> str:
    (line,) = [line for line in dry_run("venv", *arguments) if "install torch==" in line]
    return line


def test_torch_comes_from_the_configured_index_by_default() -> None:
    assert "--index-url" not in torch_line()


def test_torch_index_picks_the_cpu_only_index() -> None:
    line = torch_line("TORCH_INDEX=https://download.pytorch.org/whl/cpu")
    assert line.endswith("install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu")


def test_venv_installs_the_docs_extra_with_the_constraints() -> None:
    (line,) = [line for line in dry_run("venv") if "install -e" in line]
    extras = re.search(r"'\.\[([\w,]+)\]'", line)
    assert extras is not None
    assert {"test", "lint", "docs", "lora", "curation", "embedding", "datahub"} <= set(
        extras.group(1).split(",")
    )
    assert line.endswith("-c constraints.txt")


def test_constraints_pin_torch_without_a_build_label() -> None:
    pins = (REPO / "constraints.txt").read_text().splitlines()
    (torch,) = [pin for pin in pins if pin.startswith("torch==")]
    assert "+" not in torch
    assert torch == re.search(r"install (torch==\S+)", torch_line()).group(1)  # type: ignore[union-attr]


def test_make_constraints_drops_the_build_label() -> None:
    text = "\n".join(dry_run("constraints"))
    expression = re.search(r"sed '([^']+)'", text)
    assert expression is not None
    pinned = subprocess.run(
        ["sed", expression.group(1)],
        input="tokenizers==0.22.1\ntorch==2.13.0+cpu\ntorchvision==0.28.0+cpu\n",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert pinned == "tokenizers==0.22.1\ntorch==2.13.0\ntorchvision==0.28.0+cpu\n"


def test_docs_check_builds_strictly_and_ci_runs_it_after_lint() -> None:
    assert ".venv/bin/mkdocs build --strict --site-dir site" in dry_run("docs-check")
    assert dry_run("docs")[-1] == ".venv/bin/mkdocs serve"
    steps = [
        line for line in (REPO / ".ci/run").read_text().splitlines() if line.startswith("make ")
    ]
    assert [step.split()[1] for step in steps] == ["venv", "lint", "docs-check", "test"]
