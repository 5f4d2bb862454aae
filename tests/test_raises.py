"""Every deliberate raise in ``src`` is of a class deriving from ``LlmLineageError``.

The README promises that ``except LlmLineageError`` catches what the provider raises on
purpose; ``test_layering.py`` checks that every exception class derives from it, and this test
that no ``raise`` names a built-in exception instead. Read from the AST: a re-raise (``raise``,
``raise error``) names no class and passes. The exceptions, each where Python or a library
requires the built-in type, are listed in ``ALLOWED``.
"""

from __future__ import annotations

import ast
import builtins
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "llm_lineage"

BUILTIN_ERRORS = frozenset(
    name
    for name in dir(builtins)
    if isinstance(getattr(builtins, name), type)
    and issubclass(getattr(builtins, name), BaseException)
)

#: (file, function, exception): where the built-in type is the contract.
ALLOWED = {
    # PEP 562: a module's ``__getattr__`` must raise AttributeError for a name it lacks.
    ("extraction/__init__.py", "__getattr__", "AttributeError"),
    # The abstract methods a subclass must implement.
    ("operators/base.py", "_make_hook", "NotImplementedError"),
    ("operators/base.py", "_lineage", "NotImplementedError"),
    # The failed ``renameat2`` system call, as ``os.rename`` would raise it (errno and paths).
    ("storage/swap.py", "exchange", "OSError"),
}


def builtin_raises(root: Path) -> set[tuple[str, str, str]]:
    """(file, enclosing function, exception) of each raise naming a built-in exception."""
    found = set()
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for function in [tree, *ast.walk(tree)]:
            if function is not tree and not isinstance(
                function, ast.FunctionDef | ast.AsyncFunctionDef
            ):
                continue
            name = getattr(function, "name", "<module>")
            for node in _own_nodes(function):
                if isinstance(node, ast.Raise) and node.exc is not None:
                    called = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
                    if isinstance(called, ast.Name) and called.id in BUILTIN_ERRORS:
                        found.add((path.relative_to(root).as_posix(), name, called.id))
    return found


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of ``function``'s body, not those of the functions defined inside it."""
    nodes, todo = [], list(ast.iter_child_nodes(function))
    while todo:
        node = todo.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        nodes.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return nodes


def test_every_deliberate_raise_derives_from_the_one_base() -> None:
    loose = sorted(builtin_raises(SRC) - ALLOWED)
    assert not loose, "\n".join(" ".join(item) for item in loose)


def test_the_allowed_cases_still_exist() -> None:
    """A stale entry would let the next built-in raise there pass unseen."""
    assert builtin_raises(SRC) >= ALLOWED


def test_the_check_sees_raises_in_nested_functions_and_passes_re_raises(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text(
        "def outer():\n"
        "    def check(value):\n"
        "        raise ValueError(value)\n"
        "    try:\n"
        "        check(1)\n"
        "    except ValueError as error:\n"
        "        raise error\n"
        "    raise KeyError\n"
    )
    assert builtin_raises(tmp_path) == {
        ("m.py", "check", "ValueError"),
        ("m.py", "outer", "KeyError"),
    }
