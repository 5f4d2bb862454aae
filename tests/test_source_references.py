"""Every module a docstring or comment in ``src`` names exists.

A docstring that sends the reader to ``operators/lineage.py`` after that module became
``operators/emission.py`` costs the next maintainer a search. Three forms are checked, in
comments and in module, class and function docstrings: a path with a folder
(``lineage/bounds.py``: relative to ``src/llm_lineage/``, or to the repository for ``tests/``,
``docs/``, ...), a bare file name (``publishing.py``: some module of the package), and a
dotted name (``llm_lineage.operators.taskflow.TaskFlowExtractor``: a module of the package, and
its first attribute defined at the top of that module).
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "llm_lineage"
_FOLDER_PATH = re.compile(r"(?<![\w/.-])((?:[a-z_]+/)+[a-z_0-9]+\.py)\b")
_BARE_FILE = re.compile(r"(?<![\w/.-])([a-z_0-9]+\.py)\b")
_DOTTED = re.compile(r"\bllm_lineage(?:\.[A-Za-z_]\w*)+")
#: Files of other projects that our docstrings point to, by name.
ELSEWHERE = {
    "version_compat.py",  # the OpenLineage provider's
    "airflow_generator.py",  # DataHub's Airflow plugin's
}


def texts(path: Path) -> Iterator[tuple[int, str]]:
    """The comments and docstrings of a file, with their line numbers."""
    source = path.read_text()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            docstring = ast.get_docstring(node, clean=False)
            if docstring:
                yield node.body[0].lineno, docstring


def folder_path_exists(named: str) -> bool:
    return (PACKAGE / named).is_file() or (ROOT / named).is_file()


def top_level_names(module: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
    return names


def dotted_name_exists(dotted: str) -> bool:
    """The longest prefix that is a module of the package, then one attribute of it."""
    parts = dotted.split(".")[1:]
    for cut in range(len(parts), -1, -1):
        base = PACKAGE.joinpath(*parts[:cut])
        for module in (base.with_suffix(".py") if cut else None, base / "__init__.py"):
            if module is not None and module.is_file():
                rest = parts[cut:]
                return not rest or rest[0] in top_level_names(module)
    return False


def missing_references() -> list[str]:
    modules = sorted(PACKAGE.rglob("*.py"))
    file_names = {module.name for module in modules} | ELSEWHERE
    missing = []
    for module in modules:
        where = module.relative_to(PACKAGE)
        for line, text in texts(module):
            paths = set(_FOLDER_PATH.findall(text))
            missing += [f"{where}:{line} {p}" for p in paths if not folder_path_exists(p)]
            bare = set(_BARE_FILE.findall(_FOLDER_PATH.sub("", text)))
            missing += [f"{where}:{line} {name}" for name in bare if name not in file_names]
            dotted = set(_DOTTED.findall(text))
            missing += [f"{where}:{line} {d}" for d in dotted if not dotted_name_exists(d)]
    return missing


def test_every_module_named_in_src_exists() -> None:
    missing = missing_references()
    assert not missing, "\n".join(missing)


def test_the_check_finds_a_stale_name() -> None:
    """The three forms fail when the module (or the attribute) is not there."""
    assert not folder_path_exists("operators/lineage.py")
    assert folder_path_exists("operators/emission.py")
    assert folder_path_exists("tests/test_layering.py")
    assert dotted_name_exists("llm_lineage.operators.taskflow.TaskFlowExtractor")
    assert dotted_name_exists("llm_lineage.transports.spool.SpoolTransport")
    assert dotted_name_exists("llm_lineage.cli")
    assert not dotted_name_exists("llm_lineage.operators.taskflow.NoSuchExtractor")
    assert not dotted_name_exists("llm_lineage.operators.lineage")
