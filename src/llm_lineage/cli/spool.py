"""``llm-lineage replay`` and ``llm-lineage spool status``: deliver and inspect the spool."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from llm_lineage.cli.main import CommandError


def _spool_options(command: argparse.ArgumentParser) -> None:
    command.add_argument(
        "--spool", metavar="DIR", help="spool directory (default: the configured SpoolTransport's)"
    )
    command.add_argument(
        "--transport",
        metavar="JSON",
        help="backend to forward to, as an OpenLineage transport configuration "
        "(default: the configured SpoolTransport's inner transport)",
    )
    command.add_argument("--json", action="store_true", help="print JSON instead of text")


def register(subparsers: Any) -> None:
    replay = subparsers.add_parser(
        "replay",
        help="forward every event waiting in the spool to its backend",
        description="Forward every event waiting in the spool to its backend, oldest first. "
        "Exits 1 if any event is left pending or in dead-letter/.",
    )
    _spool_options(replay)
    replay.add_argument(
        "--wait",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for a background forwarder that holds the spool (default 60)",
    )
    replay.add_argument(
        "--retry-window",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="keep retrying a failing backend this long (default 0: one pass)",
    )
    replay.add_argument(
        "--dead-letter",
        action="store_true",
        help="move dead letters back to pending first and try them again",
    )
    replay.set_defaults(handler=_replay)

    spool = subparsers.add_parser(
        "spool", help="inspect the lineage spool", description="Inspect the lineage spool."
    )
    actions = spool.add_subparsers(
        dest="spool_command", metavar="ACTION", required=True, title="actions"
    )
    status = actions.add_parser(
        "status",
        help="pending and dead-letter events, the oldest one's age, the size",
        description="Pending and dead-letter events, the oldest one's age, the size. "
        "Exits 2 if the spool folder does not exist.",
    )
    _spool_options(status)
    status.set_defaults(handler=_status)


def _existing_spool(arguments: argparse.Namespace, need_transport: bool) -> Any:
    """The spool configuration, refusing a spool folder that does not exist (no new folders)."""
    from llm_lineage.cli.transport_config import spool_config

    config = spool_config(arguments.spool, arguments.transport, need_transport=need_transport)
    if not Path(config.directory).is_dir():
        raise CommandError(f"no spool at {config.directory}: the folder does not exist")
    return config


def _transport(config: Any) -> Any:
    """The inner transport; a configuration it refuses is one line, redacted, not a traceback."""
    from llm_lineage.transports.redaction import error_text, known_secrets
    from llm_lineage.transports.spool_config import inner_transport

    try:
        return inner_transport(config)
    except Exception as error:
        text = error_text(error, known_secrets(config.transport))
        raise CommandError(f"cannot build the transport to forward to: {text}") from None


def _replay(arguments: argparse.Namespace) -> int:
    from llm_lineage.transports.forwarder import forward
    from llm_lineage.transports.redaction import known_secrets
    from llm_lineage.transports.spool_store import Spool

    config = _existing_spool(arguments, need_transport=True)
    transport = _transport(config)
    spool = Spool(config.directory, config.max_bytes)
    revived = spool.resurrect() if arguments.dead_letter else 0
    result = forward(
        spool,
        transport,
        arguments.retry_window,
        arguments.wait,
        secrets=known_secrets(config.transport),
    )
    if result is None:
        raise CommandError(
            f"another forwarder still holds {config.directory} after {arguments.wait:g} s; "
            "try again or pass a longer --wait"
        )
    status = spool.status()
    report = {
        "spool": config.directory,
        "delivered": result.delivered,
        "dead_letter_new": result.dead_letter,
        "revived": revived,
        "pending": status.pending,
        "dead_letter": status.dead_letter,
        "last_error": result.last_error,
    }
    _print(arguments, report, _replay_text(report))
    return 1 if status.pending or status.dead_letter else 0


def _replay_text(report: dict[str, Any]) -> str:
    lines = [
        f"spool        {report['spool']}",
        f"delivered    {report['delivered']}",
        f"dead letter  {report['dead_letter']} ({report['dead_letter_new']} new)",
        f"pending      {report['pending']}",
    ]
    if report["pending"] and report["last_error"]:
        lines.append(f"backend      {report['last_error']}")
    return "\n".join(lines)


def _status(arguments: argparse.Namespace) -> int:
    from llm_lineage.transports.spool_store import Spool

    config = _existing_spool(arguments, need_transport=False)
    status = Spool(config.directory, config.max_bytes).status().as_dict()
    age = status["oldest_age_seconds"]
    text = "\n".join(
        [
            f"spool        {status['directory']}",
            f"pending      {status['pending']}",
            f"dead letter  {status['dead_letter']}",
            f"lost         {status['lost']}",
            f"foreign      {status['foreign']} (files in pending/ the spool did not write)",
            f"oldest       {'-' if age is None else f'{age:.0f} s'}",
            f"size         {status['bytes']} of {status['max_bytes']} bytes "
            f"({100 * status['bytes'] / max(status['max_bytes'], 1):.1f}%)",
        ]
    )
    _print(arguments, status, text)
    return 0


def _print(arguments: argparse.Namespace, data: dict[str, Any], text: str) -> None:
    from llm_lineage.transports.redaction import redact

    sys.stdout.write(redact(json.dumps(data, indent=2) if arguments.json else text) + "\n")
