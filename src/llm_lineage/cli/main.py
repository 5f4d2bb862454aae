"""``llm-lineage``: the entry point that assembles the command groups."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

#: Modules with a ``register(subparsers)`` function, one per command group, in help order.
COMMANDS = ("llm_lineage.cli.spool",)


class CommandError(Exception):
    """A problem the user can fix (a missing spool, a bad option): printed without a traceback."""


def parser() -> argparse.ArgumentParser:
    """The whole command tree; each group module adds its own subcommands."""
    root = argparse.ArgumentParser(
        prog="llm-lineage",
        description="Deliver and question the lineage that airflow-provider-llm-lineage emits.",
    )
    subparsers = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its return value is the exit status (0 means all done)."""
    arguments = parser().parse_args(argv)
    try:
        status: int = arguments.handler(arguments)
    except CommandError as error:
        print(f"llm-lineage: error: {error}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
