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

    from llm_lineage.cli.main import command_summaries, parser

    rest = Arg(("llm_lineage_args",), nargs=argparse.REMAINDER, help="options of the command")
    commands = [
        ActionCommand(
            name=name,
            help=summary,
            func=lambda arguments, command=name: _run(
                argparse.Namespace(llm_lineage_command=command, **vars(arguments))
            ),
            args=(rest,),
        )
        for name, summary in command_summaries(parser()).items()
    ]
    return [
        GroupCommand(
            name="llm-lineage", help="Deliver and question LLM lineage", subcommands=commands
        )
    ]
