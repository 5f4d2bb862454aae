"""``llm-lineage``: the entry point that assembles the command groups."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from llm_lineage.common.errors import LlmLineageError

#: Modules with a ``register(subparsers)`` function, one per command group, in help order.
COMMANDS = ("llm_lineage.cli.spool", "llm_lineage.cli.report", "llm_lineage.cli.export")


class CommandError(LlmLineageError):
    """A problem the user can fix (a missing spool, a bad option): printed without a traceback."""


def parser() -> argparse.ArgumentParser:
    """The whole command tree; each group module adds its own subcommands."""
    root = argparse.ArgumentParser(
        prog="llm-lineage",
        description="Deliver and question the lineage that airflow-provider-llm-lineage emits.",
    )
    subparsers = root.add_subparsers(
        dest="command", metavar="COMMAND", required=True, title="commands"
    )
    for name in COMMANDS:
        importlib.import_module(name).register(subparsers)
    return root


def subcommands(command: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommands of one command, by name, in help order (none for a leaf command)."""
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def command_summaries(command: argparse.ArgumentParser) -> dict[str, str]:
    """Each subcommand's one-line description, as ``--help`` lists it."""
    for action in command._actions:
        if isinstance(action, argparse._SubParsersAction):
            return {choice.dest: choice.help or "" for choice in action._choices_actions}
    return {}


def _log_to_stderr() -> None:
    """Our warnings go to stderr in every case, so ``--json`` output stays parseable.

    Importing Airflow (to read its ``[openlineage]`` settings) points the root logger at stdout;
    the ``llm_lineage`` logger therefore gets a handler of its own and does not propagate.
    """
    from llm_lineage.transports.forwarder_log import RedactingFormatter

    logger = logging.getLogger("llm_lineage")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter("llm-lineage: %(levelname)s %(message)s"))
    logger.handlers[:] = [handler]
    logger.setLevel(logging.WARNING)
    logger.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; its return value is the exit status (0 means all done)."""
    arguments = parser().parse_args(argv)
    _log_to_stderr()
    try:
        status: int = arguments.handler(arguments)
    except CommandError as error:
        print(f"llm-lineage: error: {_one_line(error)}", file=sys.stderr)
        return 2
    except (LlmLineageError, ValueError) as error:  # a configuration the code refused, in words
        print(f"llm-lineage: error: {type(error).__name__}: {_one_line(error)}", file=sys.stderr)
        return 2
    return status


def _one_line(error: BaseException) -> str:
    from llm_lineage.transports.redaction import redact

    return " ".join(redact(error).split())


if __name__ == "__main__":  # pragma: no cover - exercised through the console script
    sys.exit(main())
