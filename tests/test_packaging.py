"""The package as a release would ship it: an sdist and a wheel that install and run.

``python -m build`` makes both from this checkout; ``twine check --strict`` passes them as PyPI's
upload would; the wheel holds every facet schema and template the code opens at run time, the
entry points Airflow finds the provider and the plugin by, and the license files. Then the wheel
is installed, without an editable install or this checkout on the path, into a fresh virtual
environment with ``pip install <wheel> -c constraints.txt`` (its dependencies, Airflow included,
from the package index and pip's cache), and that environment's own ``airflow`` lists the
provider and runs a DAG with ``airflow dags test``; every event it emits is validated.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from olvalidate import read_events, validate_event

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "llm_lineage"
CONSTRAINTS = REPO / "constraints.txt"

pytestmark = [pytest.mark.dag, pytest.mark.packaging]

DAG = """
import datetime
from airflow.sdk import DAG
from llm_lineage.operators.extraction import DocumentExtractionOperator

with DAG("wheel_extraction", schedule=None, start_date=datetime.datetime(2024, 1, 1)):
    DocumentExtractionOperator(
        task_id="extract", source="{source}", destination="{destination}", workers=1
    )
"""


def run(command: list[str], env: dict[str, str] | None = None, timeout: int = 900) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{command}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    """A folder for the module's builds and environment, outside pytest's temporary folders:
    another pytest session of the same user removes all but its three newest ones, and the
    environment must outlive several minutes of installing."""
    folder = Path(tempfile.mkdtemp(prefix="llm-lineage-wheel-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def dist(scratch: Path) -> Path:
    """The sdist and the wheel ``python -m build`` makes from this checkout."""
    out = scratch / "dist"
    run([sys.executable, "-m", "build", "--outdir", str(out), str(REPO)])
    return out


def wheel_of(dist: Path) -> Path:
    (wheel,) = dist.glob("airflow_provider_llm_lineage-*-py3-none-any.whl")
    return wheel


def test_twine_check_passes(dist: Path) -> None:
    files = sorted(dist.iterdir())
    assert sorted(path.suffix for path in files) == [".gz", ".whl"]
    output = run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)])
    assert output.count("PASSED") == 2


def test_the_wheel_holds_schemas_templates_entry_points_and_licenses(dist: Path) -> None:
    names = set(zipfile.ZipFile(wheel_of(dist)).namelist())
    data = {
        path.relative_to(PACKAGE.parent).as_posix()
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix in {".json", ".html", ".css", ".js", ".svg"}
    }
    assert any(name.startswith("llm_lineage/facets/schemas/") for name in data)
    assert any(name.startswith("llm_lineage/plugins/templates/") for name in data)
    assert data - names == set()
    assert not any(name.startswith(("tests/", "docs/", "example_dags/")) for name in names)
    (info,) = {name.split("/")[0] for name in names if ".dist-info/" in name}
    assert {f"{info}/licenses/LICENSE", f"{info}/licenses/NOTICE"} <= names
    entry_points = zipfile.ZipFile(wheel_of(dist)).read(f"{info}/entry_points.txt").decode()
    assert "[apache_airflow_provider]" in entry_points
    assert "llm_lineage.get_provider_info:get_provider_info" in entry_points
    assert "[airflow.plugins]" in entry_points
    assert "llm-lineage = llm_lineage.cli.main:main" in entry_points


def test_the_sdist_holds_the_sources_docs_and_release_files(dist: Path) -> None:
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {
        "LICENSE",
        "NOTICE",
        "CHANGELOG.md",
        "CONTRIBUTING.md",
        "README.md",
        "pyproject.toml",
        "mkdocs.yml",
        "docs/index.md",
        "src/llm_lineage/__init__.py",
    } <= names


@pytest.fixture(scope="module")
def installed(dist: Path, scratch: Path) -> Path:
    """A fresh virtual environment with the wheel and its dependencies, and nothing else."""
    venv = scratch / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    started = time.monotonic()
    pip = [str(venv / "bin/python"), "-m", "pip", "--disable-pip-version-check", "-q"]
    # --no-compile: byte-compiling Airflow and its dependencies took a quarter of the time.
    install = [*pip, "install", "--no-compile", str(wheel_of(dist)), "-c", str(CONSTRAINTS)]
    run(install, env=clean_env(), timeout=1800)
    print(f"\nthe wheel and its dependencies installed in {time.monotonic() - started:.0f} s")
    return venv


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the checkout on the path (the tests run with PYTHONPATH=src)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return {**env, **extra}


def test_the_package_comes_from_the_wheel(installed: Path) -> None:
    where = run(
        [str(installed / "bin/python"), "-c", "import llm_lineage; print(llm_lineage.__file__)"],
        env=clean_env(),
    )
    assert Path(where.strip()).is_relative_to(installed / "lib")
    assert (installed / "bin/llm-lineage").exists()


#: Libraries that only the extras bring (``[lora]``, ``[embedding]``, ``[curation]``,
#: ``[datahub]``): a module may import one at module level only if nothing that DAG parsing or the
#: base install needs imports that module (ARCHITECTURE.md, Layers).
EXTRA_LIBRARIES = frozenset(
    {"torch", "transformers", "peft", "sentence_transformers", "lancedb", "lingua", "datasketch"}
    | {"datahub"}
)


def needs_an_extra() -> set[str]:
    """Modules of the package whose top level imports a library of an extra."""
    found = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = set()
        for node in tree.body:
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                imported.add(node.module.split(".")[0])
        if imported & EXTRA_LIBRARIES:
            parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
            found.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return found


IMPORT_ALL = """
import importlib, pkgutil, llm_lineage
for module in pkgutil.walk_packages(llm_lineage.__path__, "llm_lineage."):
    if module.name not in {skip!r} and not module.name.endswith("__main__"):
        try:
            importlib.import_module(module.name)
        except Exception as error:
            print("IMPORT FAILED", module.name, type(error).__name__, error)
"""


def test_every_module_imports_with_the_declared_dependencies(installed: Path) -> None:
    """A module that imports a library the wheel does not declare fails here, not in a DAG."""
    skipped = needs_an_extra()
    assert "llm_lineage.training.engine" in skipped  # the reading of the source works
    assert not {"llm_lineage.operators", "llm_lineage.hooks"} & {
        name.rsplit(".", 1)[0] for name in skipped
    }
    code = IMPORT_ALL.format(skip=skipped)
    output = run([str(installed / "bin/python"), "-c", code], env=clean_env())
    assert [line for line in output.splitlines() if line.startswith("IMPORT FAILED")] == []


def test_airflow_lists_the_provider_and_runs_a_dag(installed: Path, tmp_path: Path) -> None:
    home, corpus, out = tmp_path / "home", tmp_path / "corpus", tmp_path / "out"
    (home / "dags").mkdir(parents=True)
    corpus.mkdir()
    (corpus / "notes.md").write_text("---\ntitle: Notes\nauthor: Ada\n---\n\nSome text.\n")
    (corpus / "plain.txt").write_text("Plain text, enough to extract.\n")
    dag = DAG.format(source=corpus, destination=out)
    (home / "dags" / "wheel_extraction.py").write_text(dag)
    events = tmp_path / "events.jsonl"
    env = clean_env(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__DAGS_FOLDER=str(home / "dags"),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__OPENLINEAGE__TRANSPORT=(
            f'{{"type": "file", "log_file_path": "{events}", "append": true}}'
        ),
        AIRFLOW__OPENLINEAGE__NAMESPACE="wheel-test",
        LLM_LINEAGE_CACHE_DIR=str(tmp_path / "cache"),
    )
    airflow = str(installed / "bin/airflow")
    providers = run([airflow, "providers", "list"], env=env)
    assert "airflow-provider-llm-lineage" in providers
    run([airflow, "db", "migrate"], env=env)
    run([airflow, "dags", "test", "wheel_extraction"], env=env)
    emitted = read_events(events)
    assert emitted
    for event in emitted:
        validate_event(event)
    complete = [
        e
        for e in emitted
        if e["eventType"] == "COMPLETE" and e["job"]["name"] == "wheel_extraction.extract"
    ]
    assert len(complete) == 1
    (output,) = [d for d in complete[0]["outputs"] if d["name"].endswith("text.parquet")]
    assert "llmLineage_transformations" in output["facets"]
    assert (out / "text.parquet").is_file() and (out / "manifest.parquet").is_file()


_IMPORTED = (
    "import sys, jsonschema, airflow.providers_manager; "
    "print('rfc3987_syntax' in sys.modules, 'lark' in sys.modules)"
)


def test_no_extra_makes_each_airflow_process_compile_grammars() -> None:
    """jsonschema imports rfc3987-syntax when it is installed, which compiles 39 Lark grammars
    (1.8 to 2.6 s of CPU), and Airflow imports jsonschema in every process it starts: no extra
    may install it (``cyclonedx-python-lib[json-validation]`` did, by asking for
    ``jsonschema[format-nongpl]``). CI's environment holds every extra but ``bench``."""
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    requirements = [line for lines in extras["optional-dependencies"].values() for line in lines]
    asked = [
        line for line in requirements if line.startswith(("jsonschema[", "cyclonedx-python-lib["))
    ]
    assert asked == []

    shown = subprocess.run(
        [sys.executable, "-c", _IMPORTED], capture_output=True, text=True, check=True
    )
    assert shown.stdout.split() == ["False", "False"], shown.stdout + shown.stderr
