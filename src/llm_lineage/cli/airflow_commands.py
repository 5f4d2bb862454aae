"""``airflow llm-lineage ...``: the provider's CLI hook hands its arguments to ``llm-lineage``.

Airflow builds its parser from ``GroupCommand``/``ActionCommand`` tuples; rather than describe
every option twice, each top-level command takes the rest of the line and the one argparse tree
in ``llm_lineage.cli.main`` parses it, so both spellings accept exactly the same options.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def _run(arguments: argparse.Namespace) -> None:
    from llm_lineage.cli.main import main

    status = main([arguments.llm_lineage_command, *arguments.llm_lineage_args])
    if status:
        sys.exit(status)


def get_cli_commands() -> list[Any]:
    """The ``cli`` entry of the provider info: one group, a command per ``llm-lineage`` command."""
    from airflow.cli.cli_config import ActionCommand, Arg, GroupCommand

    from llm_lineage.cli.main import parser

    rest = Arg(("llm_lineage_args",), nargs=argparse.REMAINDER, help="options of the command")
    action = parser()._subparsers._group_actions[0]  # type: ignore[union-attr]
    choices: dict[str, argparse.ArgumentParser] = action.choices  # type: ignore[assignment]
    commands = [
        ActionCommand(
            name=name,
            help=(sub.description or name).split("\n")[0],
            func=lambda arguments, command=name: _run(
                argparse.Namespace(llm_lineage_command=command, **vars(arguments))
            ),
            args=(rest,),
        )
        for name, sub in choices.items()
    ]
    return [
        GroupCommand(
            name="llm-lineage", help="Deliver and question LLM lineage", subcommands=commands
        )
    ]
