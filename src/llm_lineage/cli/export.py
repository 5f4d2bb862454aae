"""``llm-lineage export cyclonedx|croissant|ai-act-summary``: compliance documents from the
lineage, read from the same inputs as ``report`` (``--events`` file, folder or spool;
``--spool`` for the configured spool; ``--marquez``), with the dataset chosen as ``report trace`` chooses it.

Each writes ``-o FILE`` (0644, replaced atomically) or standard output. ``--now`` pins the one
timestamp an export carries (default: the time of the export); ``--validate`` checks the
document with the official tools (the ``[compliance]`` extra) and exits 1 when it is invalid.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from llm_lineage.cli.main import CommandError


class _FormatsHelp(argparse.HelpFormatter):
    """Lists ``ai-act-summary`` and its description on one line: argparse measures a
    subcommand's name without the indent it prints it with, and wraps the longest one."""

    def add_argument(self, action: argparse.Action) -> None:
        super().add_argument(action)
        self._action_max_length = max(self._action_max_length, 20)


def register(subparsers: Any) -> None:
    export = subparsers.add_parser(
        "export",
        help="compliance documents: CycloneDX ML-BOM, Croissant card, EU AI Act summary",
        formatter_class=_FormatsHelp,
        description="Compliance documents from the lineage: a CycloneDX ML-BOM, a Croissant "
        "dataset card, the EU AI Act training-content summary.",
    )
    formats = export.add_subparsers(dest="format", metavar="FORMAT", required=True, title="formats")
    common = _common_options()
    bom = formats.add_parser(
        "cyclonedx",
        parents=[common],
        help="CycloneDX 1.6 JSON ML-BOM of an adapter",
        description="CycloneDX 1.6 JSON ML-BOM of an adapter.",
    )
    bom.add_argument("dataset", metavar="ADAPTER", help="adapter name, path or URI")
    bom.set_defaults(handler=_cyclonedx)
    card = formats.add_parser(
        "croissant",
        parents=[common],
        help="Croissant 1.1 JSON-LD card of a text or token dataset",
        description="Croissant 1.1 JSON-LD of a text, curated text or token dataset.",
    )
    card.add_argument("dataset", metavar="DATASET", help="dataset name, path or URI")
    card.set_defaults(handler=_croissant)
    act = formats.add_parser(
        "ai-act-summary",
        parents=[common],
        help="EU AI Act summary of an adapter's training content",
        description="The EU AI Act public summary of training content (Commission template of "
        "24 July 2025) of an adapter, Markdown or --json; what the lineage cannot know is "
        "marked to be completed by the provider.",
    )
    act.add_argument("dataset", metavar="ADAPTER", help="adapter name, path or URI")
    act.add_argument("--json", action="store_true", help="JSON instead of Markdown")
    act.add_argument(
        "--base-model-summary", metavar="URL", help="link to the base model's own summary"
    )
    act.set_defaults(handler=_ai_act)


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    source = common.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--events", metavar="PATH", help="events file (JSON lines), folder of event files, or spool"
    )
    source.add_argument(
        "--spool",
        metavar="DIR",
        nargs="?",
        const="",
        help="a spool's events: DIR, or without DIR the spool the OpenLineage transport "
        "configuration names",
    )
    source.add_argument("--marquez", metavar="URL", help="Marquez server")
    common.add_argument("--timeout", type=float, default=30.0, help="Marquez: each request (s)")
    common.add_argument("--max-time", type=float, default=600.0, help="Marquez: in all (s)")
    common.add_argument("--version", help="this version of the dataset (a prefix will do)")
    common.add_argument("-o", "--output", metavar="FILE", help="write here (default: stdout)")
    common.add_argument("--now", help="ISO time for the document's timestamp (default: now)")
    common.add_argument(
        "--validate", action="store_true", help="check with the official tools; exit 1 if invalid"
    )
    return common


def _traced(arguments: argparse.Namespace, kinds: tuple[str, ...], command: str) -> Any:
    from llm_lineage.compliance.selection import ExportError, select
    from llm_lineage.compliance.source import read_lineage
    from llm_lineage.report.files import EventsNotFound
    from llm_lineage.report.load import paused_gc
    from llm_lineage.report.marquez import MarquezError

    try:
        with paused_gc():
            lineage = read_lineage(
                _events(arguments), arguments.marquez, arguments.timeout, arguments.max_time
            )
        return select(lineage, arguments.dataset, arguments.version, kinds, command)
    except (EventsNotFound, MarquezError, ExportError) as error:
        raise CommandError(str(error)) from error


def _events(arguments: argparse.Namespace) -> str | None:
    """``--events``, or the spool folder ``--spool`` names (the configured one without DIR)."""
    if arguments.spool is None:
        return str(arguments.events) if arguments.events else None
    directory = arguments.spool
    if not directory:  # the configured spool: reads Airflow's settings when it is installed
        from llm_lineage.cli.transport_config import spool_config

        directory = spool_config(None, None, need_transport=False).directory
    if not Path(directory).is_dir():
        raise CommandError(f"no spool at {directory}: the folder does not exist")
    return str(directory)


def _timestamp(arguments: argparse.Namespace) -> str:
    from llm_lineage.compliance.facts import stamp
    from llm_lineage.report.timeutil import parse_time

    if not arguments.now:
        return stamp(None)
    parsed: dt.datetime | None = parse_time(arguments.now)
    if parsed is None:
        raise CommandError(f"--now {arguments.now!r} is not an ISO 8601 time")
    return stamp(parsed)


def _cyclonedx(arguments: argparse.Namespace) -> int:
    from llm_lineage.compliance import cyclonedx
    from llm_lineage.compliance.facts import dumps
    from llm_lineage.events.kinds import ADAPTER

    traced = _traced(arguments, (ADAPTER,), "cyclonedx")
    text = dumps(cyclonedx.bom(traced, _timestamp(arguments)))
    _write(arguments, text)
    return _checked(arguments, lambda: cyclonedx.validate(text))


def _croissant(arguments: argparse.Namespace) -> int:
    from llm_lineage.compliance import croissant
    from llm_lineage.compliance.facts import dumps
    from llm_lineage.compliance.selection import ExportError

    traced = _traced(arguments, croissant.DATASET_KINDS, "croissant")
    try:
        text = dumps(croissant.croissant(traced, _timestamp(arguments)))
    except ExportError as error:
        raise CommandError(str(error)) from error
    target = _write(arguments, text)
    if arguments.validate and target is None:
        raise CommandError("--validate with croissant needs -o FILE (mlcroissant reads a file)")
    return _checked(arguments, lambda: croissant.validate(target or ""))


def _ai_act(arguments: argparse.Namespace) -> int:
    from llm_lineage.compliance import ai_act
    from llm_lineage.compliance.ai_act_markdown import markdown
    from llm_lineage.compliance.facts import dumps
    from llm_lineage.events.kinds import ADAPTER

    traced = _traced(arguments, (ADAPTER,), "ai-act-summary")
    summary = ai_act.summary(traced, _timestamp(arguments), arguments.base_model_summary)
    _write(arguments, dumps(summary) if arguments.json else markdown(summary))
    return _checked(arguments, lambda: _sections_missing(summary))


def _sections_missing(summary: dict[str, Any]) -> list[str]:
    from llm_lineage.compliance.ai_act import SECTIONS

    found = [(s["number"], s["title"]) for s in summary["sections"]]
    return [] if found == list(SECTIONS) else ["the sections differ from the template's"]


def _checked(arguments: argparse.Namespace, check: Any) -> int:
    if not arguments.validate:
        return 0
    try:
        errors = check()
    except ImportError as error:
        raise CommandError(
            f"--validate needs the [compliance] extra ({error.name} is not installed)"
        ) from error
    for line in errors[:50]:
        print(f"llm-lineage: invalid: {line}", file=sys.stderr)
    if not errors:
        print("llm-lineage: valid", file=sys.stderr)
    return 1 if errors else 0


def _write(arguments: argparse.Namespace, text: str) -> str | None:
    """Write to ``-o`` atomically (0644: the document is meant to be shared), else stdout."""
    if not arguments.output:
        sys.stdout.write(text)
        return None
    target = Path(arguments.output)
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)  # noqa: PTH101
        os.replace(temporary, target)  # noqa: PTH105
    except OSError as error:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise CommandError(f"cannot write {target}: {error.strerror or error}") from error
    print(f"wrote {target}", file=sys.stderr)
    return str(target)
