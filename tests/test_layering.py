"""The layering rules of ARCHITECTURE.md, enforced: who may import what, and how long a function is.

A rule only a document states is broken by the first change that needs a shortcut. These tests
read the source (imports as the AST sees them, including those inside functions) and import the
Airflow-free packages in a process where ``airflow`` cannot be imported at all.
"""

from __future__ import annotations

import ast
import builtins
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "llm_lineage"

ENGINES = ("extraction", "curation", "tokenization", "training", "embedding")
#: Packages that must work on a machine without Airflow (reader processes, lineage backends,
#: the governance report, and the builders a newcomer unit-tests).
AIRFLOW_FREE = (
    "common",
    *ENGINES,
    "facets",
    "lineage",
    "events",
    "storage",
    "transports",
    "report",
    "compliance",
)
#: What each layer may import from this package (ARCHITECTURE.md, "Layers").
ALLOWED = {
    "common": {"common"},
    "extraction": {"common", "extraction"},
    "curation": {"common", "curation"},
    "tokenization": {"common", "tokenization"},
    "training": {"common", "training"},
    "embedding": {"common", "embedding"},
    "facets": {"facets"},
    "lineage": {"common", "facets", "lineage", *ENGINES},
    "events": {"events"},
    "transports": {"common", "transports", "lineage", "events"},
    "report": {"common", "report", "lineage", "events"},
    "compliance": {"common", "compliance", "report", "lineage", "events"},
    #: Publishing, locks and staging: what only the hooks use (engines write into the staging
    #: folder they are given and never publish).
    "storage": {"common", "storage"},
    "hooks": {"common", "hooks", "facets", "lineage", "storage", *ENGINES},
    "operators": {"common", "operators", "hooks", "facets", "lineage", *ENGINES},
    "plugins": {"common", "plugins", "lineage", "events"},
    "cli": {"common", "cli", "transports", "report", "compliance", "lineage", "events"},
}
MAX_FUNCTION_LINES = 60
MAX_FILE_LINES = 400
#: Every built-in exception class (``KeyError``, ``LookupError``, ``ImportError``, ...).
BUILTIN_ERRORS = frozenset(
    name
    for name, value in vars(builtins).items()
    if isinstance(value, type) and issubclass(value, BaseException)
)


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every absolute module a file imports, at top level or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_layers_import_only_what_architecture_allows(package: str) -> None:
    broken = []
    for path in _modules(package):
        for name in sorted(_imports(path)):
            parts = name.split(".")
            if parts[0] == "airflow" and package in AIRFLOW_FREE:
                broken.append(f"{path.relative_to(SRC)} imports {name}")
            layer = parts[1] if parts[0] == "llm_lineage" and len(parts) > 1 else None
            if layer and layer not in ALLOWED[package] and (SRC / layer).is_dir():
                broken.append(f"{path.relative_to(SRC)} imports {name}")
    assert not broken, "\n".join(broken)


def test_the_airflow_free_packages_import_without_airflow() -> None:
    """Import every module of those packages with ``airflow`` made unimportable.

    Catches what the AST check cannot: a third-party library of ours that pulls Airflow in.
    """
    modules = [_module_name(path) for package in AIRFLOW_FREE for path in _modules(package)]
    script = textwrap.dedent(
        """
        import importlib, sys, traceback

        class NoAirflow:
            def find_spec(self, name, path=None, target=None):
                if name == "airflow" or name.startswith("airflow."):
                    raise ImportError(f"airflow is not importable here: {name}")
                return None

        sys.meta_path.insert(0, NoAirflow())
        failed = []
        for name in sys.argv[1:]:
            try:
                importlib.import_module(name)
            except Exception:
                failed.append(name + ": " + traceback.format_exc(limit=-3))
        leaked = sorted(m for m in sys.modules if m == "airflow" or m.startswith("airflow."))
        print("\\n".join(failed + [f"airflow modules loaded: {leaked}"] * bool(leaked)))
        sys.exit(1 if failed or leaked else 0)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(modules) > 60  # the walk found the packages


def test_the_event_reader_stays_light() -> None:
    """``events`` is what every reader imports (the report's command line, the transports in
    the spool's forwarder, the plugin): it loads neither the facet classes nor
    openlineage-python (a second on a laptop) nor any engine; it names facets as text and
    ``tests/test_events_keys.py`` ties each name to its class."""
    modules = [_module_name(path) for path in _modules("events")]
    script = (
        "import importlib, sys\n"
        "for name in sys.argv[1:]: importlib.import_module(name)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'openlineage'"
        " or m.startswith(('llm_lineage.facets', 'llm_lineage.lineage', 'pyarrow'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
    assert len(modules) >= 5


def test_the_check_catches_a_module_that_needs_airflow(tmp_path: Path) -> None:
    """The import check above can fail: a module importing Airflow is reported."""
    (tmp_path / "needs_airflow.py").write_text("import airflow.sdk\n")
    script = textwrap.dedent(
        """
        import importlib, sys

        class NoAirflow:
            def find_spec(self, name, path=None, target=None):
                if name == "airflow" or name.startswith("airflow."):
                    raise ImportError(name)
                return None

        sys.meta_path.insert(0, NoAirflow())
        sys.path.insert(0, sys.argv[1])
        importlib.import_module("needs_airflow")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode != 0
    assert "ImportError" in done.stderr


def test_no_function_is_longer_than_the_limit() -> None:
    """Long functions do several jobs; ARCHITECTURE.md asks for ~60 lines at most."""
    long = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long.append(f"{path.relative_to(SRC)}:{node.lineno} {node.name}: {lines}")
    assert not long, "\n".join(long)


def test_no_file_is_longer_than_the_limit() -> None:
    """A file over ~400 lines holds two ideas (ARCHITECTURE.md, "Conventions")."""
    long = [
        f"{path.relative_to(SRC)}: {lines}"
        for path in sorted(SRC.rglob("*.py"))
        if (lines := len(path.read_text().splitlines())) > MAX_FILE_LINES
    ]
    assert not long, "\n".join(long)


def test_every_exception_derives_from_the_one_base() -> None:
    """``except LlmLineageError`` catches whatever the provider raises on purpose."""
    loose = []
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.ClassDef) or node.name == "LlmLineageError":
                continue
            bases = {ast.unparse(base) for base in node.bases}
            builtin = bases & BUILTIN_ERRORS
            if builtin and "LlmLineageError" not in bases:
                loose.append(f"{path.relative_to(SRC)}: {node.name}({', '.join(sorted(bases))})")
    assert not loose, "\n".join(loose)


TORCH_MODULES = ("distributed", "engine", "loop", "setup", "worker")


def test_only_the_training_engine_imports_torch_at_module_level() -> None:
    """DAG files import operators, operators import hooks: a module-level torch import anywhere
    but the training engine's torch modules would make every DAG parse need the ``[lora]``
    extra (and ``training/__init__.py`` imports none of them)."""
    importers = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(name.split(".")[0] in {"torch", "peft", "transformers"} for name in names):
                importers.append(str(path.relative_to(SRC)))
    assert sorted(set(importers)) == [f"training/{name}.py" for name in TORCH_MODULES]
    package = ast.parse((SRC / "training" / "__init__.py").read_text())
    imported = {n.module for n in ast.walk(package) if isinstance(n, ast.ImportFrom)}
    assert not imported & {f"llm_lineage.training.{name}" for name in TORCH_MODULES}


def test_no_module_imports_the_curation_libraries_at_module_level() -> None:
    """lingua and datasketch (the ``[curation]`` extra) load when a curation run starts, so a
    DAG that imports the curation operator parses without them."""
    importers = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            if any(name.split(".")[0] in {"lingua", "datasketch"} for name in names):
                importers.append(str(path.relative_to(SRC)))
    assert importers == []


#: The one module that may import Airflow's private or version-dependent modules.
COMPAT = "hooks/compat.py"
#: Airflow modules outside the public interface this provider builds on (``airflow.sdk``,
#: ``airflow.providers.common.compat``, the OpenLineage provider's ``extractors`` and ``conf``).
PRIVATE_AIRFLOW = (
    "airflow.sdk.execution_time",
    "airflow.providers.openlineage.utils",
    "airflow.providers.openlineage.plugins",
    "airflow.providers.openlineage.extractors.manager",
    "airflow.providers.common.compat.openlineage.utils",
)


def _private_airflow_imports(path: Path) -> list[str]:
    """``path``'s imports of a private Airflow module or name (an ``_`` part, or listed)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            modules = [(alias.name, "") for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [(node.module, alias.name) for alias in node.names]
        else:
            continue
        for module, name in modules:
            if not module.startswith("airflow"):
                continue
            parts = [*module.split("."), name]
            listed = any(module == p or module.startswith(p + ".") for p in PRIVATE_AIRFLOW)
            if listed or any(part.startswith("_") for part in parts):
                found.append(f"{path.relative_to(SRC)}:{node.lineno} {module} {name}".strip())
    return found


def test_private_airflow_imports_live_in_the_compat_module_only() -> None:
    """One place to change when Airflow moves something (as the provider's version_compat.py)."""
    outside = [
        hit
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).as_posix() != COMPAT
        for hit in _private_airflow_imports(path)
    ]
    assert not outside, "\n".join(outside)
    assert _private_airflow_imports(SRC / COMPAT)  # the rule sees what the module imports
