"""No import cycle anywhere in ``src``: read from the AST, as ``test_layering.py`` reads imports.

A cycle works until someone imports the other module first, or moves an import to the top of a
file; then one of the two sees the other half-initialised. Every import counts, at top level
and inside functions, absolute and relative; ``from package import name`` is an edge to the
module ``package.name`` when there is one, else to the package (its ``__init__``).
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _targets(node: ast.ImportFrom, name: str, is_package: bool, modules: set[str]) -> set[str]:
    base = node.module or ""
    if node.level:
        package = (name if is_package else name.rpartition(".")[0]).split(".")
        package = package[: len(package) - (node.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in modules:
            found.add(f"{base}.{alias.name}")
        elif base in modules:
            found.add(base)
    return found


def import_graph(root: Path) -> dict[str, set[str]]:
    """Module -> the modules of ``root`` it imports."""
    paths = {_module_name(path, root): path for path in sorted(root.rglob("*.py"))}
    modules = set(paths)
    graph = {}
    for name, path in paths.items():
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges.update(alias.name for alias in node.names if alias.name in modules)
            elif isinstance(node, ast.ImportFrom):
                edges |= _targets(node, name, path.name == "__init__.py", modules)
        graph[name] = edges - {name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        while work:
            node, edges = work[-1]
            step = next((w for w in edges if w not in index or w in stack), None)
            if step is not None and step not in index:
                index[step] = low[step] = len(index)
                stack.append(step)
                work.append((step, iter(sorted(graph[step]))))
            elif step is not None:
                low[node] = min(low[node], index[step])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = stack[stack.index(node) :]
                    del stack[stack.index(node) :]
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_no_module_in_src_is_part_of_an_import_cycle() -> None:
    graph = import_graph(SRC)
    assert len(graph) > 200  # the walk found the package
    assert cycles(graph) == []


def test_the_check_finds_a_cycle_through_a_function_level_and_a_relative_import(
    tmp_path: Path,
) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from .b import B\n")
    (package / "a.py").write_text("from pkg.sub import B\n")
    (package / "sub" / "b.py").write_text("def f():\n    from ..c import C\n")
    (package / "c.py").write_text("import pkg.sub.b\nfrom pkg import a\nC = 1\n")
    (package / "d.py").write_text("from pkg import c\n")  # imports into the cycle: not in it
    graph = import_graph(tmp_path)
    assert graph["pkg.c"] == {"pkg.sub.b", "pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.c", "pkg.sub", "pkg.sub.b"]]
