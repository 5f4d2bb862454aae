"""``llm-lineage report trace|usage|cost|diff|licence``: the governance questions, from events or Marquez.

Text by default, JSON with ``--json``; ``--html FILE`` also writes one page with all three
answers. ``trace --document`` exits 0 when the document feeds the dataset, 1 when it does not,
and 3 when a manifest could not be read and the answer is unknown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from llm_lineage.cli.main import CommandError

EXIT = {"yes": 0, "no": 1, "unknown": 3}


def register(subparsers: Any) -> None:
    report = subparsers.add_parser(
        "report",
        help="answer governance questions: trace, usage, cost, diff, licence",
        description="Answer governance questions from the lineage: where an adapter's data "
        "came from, which data is idle or duplicated, and what each model cost.",
    )
    questions = report.add_subparsers(
        dest="question", metavar="QUESTION", required=True, title="questions"
    )
    common = _common_options()
    trace = questions.add_parser(
        "trace",
        parents=[common],
        help="trace a dataset back to the documents it came from",
        description="Trace a dataset (an adapter folder, a token file...) back to its documents.",
    )
    trace.add_argument("dataset", metavar="DATASET", help="dataset name, path or URI")
    trace.add_argument("--version", help="trace this version (a prefix will do); default: current")
    trace.add_argument(
        "--document",
        metavar="PATH_OR_SHA256",
        help="does this document feed the dataset? (exit 0 yes, 1 no, 3 unknown)",
    )
    trace.set_defaults(handler=_gc_paused(_trace))
    usage = questions.add_parser(
        "usage",
        parents=[common],
        help="datasets that are idle, orphaned, redundant or superseded",
        description="Every dataset with size, last write and read; idle, orphaned, redundant "
        "and superseded ones, and the storage that could be freed.",
    )
    usage.set_defaults(handler=_gc_paused(_usage))
    cost = questions.add_parser(
        "cost",
        parents=[common],
        help="documents, tokens, compute and estimated cost per adapter",
        description="Documents, tokens, compute and estimated cost per adapter, DAG and month.",
    )
    cost.set_defaults(handler=_gc_paused(_cost))
    _register_changes(questions, common)


def _register_changes(questions: Any, common: argparse.ArgumentParser) -> None:
    """``diff`` and ``licence``: what changed between versions, what a licence reached."""
    changed = questions.add_parser(
        "diff",
        parents=[common],
        help="what changed between two versions of a dataset",
        description="What changed between two versions of a dataset (an adapter, tokens, text): "
        "documents, tokenizer, transforms, base model, hyperparameters, code, environment, cost.",
    )
    changed.add_argument("dataset", metavar="DATASET", help="dataset name, path or URI")
    changed.add_argument(
        "--from",
        dest="before",
        help="the older version (a prefix will do); default: the one before --to",
    )
    changed.add_argument(
        "--to", dest="after", help="the newer version (a prefix will do); default: current"
    )
    changed.set_defaults(handler=_gc_paused(_diff))
    licence = questions.add_parser(
        "licence",
        parents=[common],
        help="adapters trained on sources declared under a licence",
        description="Which adapters (every version) were trained on sources declared under "
        "LICENCE (an SPDX id or the declared name, compared without case); adapters with "
        "sources that declare nothing are listed apart.",
    )
    licence.add_argument("licence", metavar="LICENCE", help="e.g. CC-BY-4.0")
    licence.set_defaults(handler=_gc_paused(_licence))


def _gc_paused(
    handler: Callable[[argparse.Namespace, Any], int],
) -> Callable[[argparse.Namespace], int]:
    """The handler with Python's cycle collector paused throughout, not only while loading
    (see ``report.load.paused_gc``): the answers walk the whole lineage as well. What the
    answers read as missing (``report.ranges``) is counted into the lineage's tally."""

    @functools.wraps(handler)
    def run(arguments: argparse.Namespace) -> int:
        from llm_lineage.report.load import paused_gc
        from llm_lineage.report.ranges import counting

        with paused_gc():
            lineage = _load(arguments)
            with counting(lineage.tally):
                return handler(arguments, lineage)

    return run


def _seconds(text: str) -> float:
    """A positive, finite number of seconds (argparse's ``type``)."""
    value = float(text)
    if not 0 < value < 10**7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds above 0")
    return value


def _days(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 36_500:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of days from 0 to 36500")
    return value


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    source = common.add_mutually_exclusive_group(required=True)
    source.add_argument(
        "--events", metavar="PATH", help="events file (JSON lines), folder of event files, or spool"
    )
    source.add_argument(
        "--marquez", metavar="URL", help="Marquez server, e.g. http://localhost:5000"
    )
    common.add_argument(
        "--timeout", type=_seconds, default=30.0, help="Marquez: each connect or read (s, 30)"
    )
    common.add_argument(
        "--max-time",
        type=_seconds,
        default=600.0,
        help="Marquez: all requests together (s, 600)",
    )
    common.add_argument("--json", action="store_true", help="print JSON instead of text")
    common.add_argument(
        "--html", metavar="FILE", help="also write one HTML page with all three answers"
    )
    common.add_argument(
        "--idle-days", type=_days, default=30.0, help="idle: not read for this many days (30)"
    )
    common.add_argument("--now", help="ISO time to judge idleness at (default: now)")
    return common


def _load(arguments: argparse.Namespace) -> Any:
    from llm_lineage.report.files import EventsNotFound
    from llm_lineage.report.load import from_events, from_marquez
    from llm_lineage.report.marquez import MarquezError

    try:
        if arguments.events:
            return from_events(arguments.events)
        return from_marquez(arguments.marquez, arguments.timeout, arguments.max_time)
    except (EventsNotFound, MarquezError) as error:
        raise CommandError(str(error)) from error


def _now(arguments: argparse.Namespace) -> dt.datetime:
    from llm_lineage.report.timeutil import parse_time

    if not arguments.now:
        return dt.datetime.now(dt.timezone.utc)
    parsed = parse_time(arguments.now)
    if parsed is None:
        raise CommandError(f"--now {arguments.now!r} is not an ISO 8601 time")
    return parsed


def _emit(
    arguments: argparse.Namespace, lineage: Any, name: str, body: dict[str, Any], text: str
) -> None:
    if arguments.json:
        document = {
            "report": name,
            "source": lineage.source,
            "skipped": lineage.tally.as_dict(),
            **body,
        }
        json.dump(document, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(text)


def _trace(arguments: argparse.Namespace, lineage: Any) -> int:
    from llm_lineage.report.documents import check_document, query
    from llm_lineage.report.text import trace_text
    from llm_lineage.report.trace import not_found, pick_version, trace

    key = lineage.find(arguments.dataset)
    if key is None:
        raise CommandError(not_found(lineage, arguments.dataset))
    version = None
    if arguments.version:
        found = pick_version(lineage, key, arguments.version)
        if len(found) != 1:
            raise CommandError(
                f"{len(found)} versions of {key.uri} start with {arguments.version!r}"
            )
        version = found[0]
    root = trace(lineage, key, version)
    answer = check_document(root, query(arguments.document)) if arguments.document else None
    _page(arguments, lineage, [root], answer)
    body = {"trace": root.as_dict(), "document": answer.as_dict() if answer else None}
    _emit(arguments, lineage, "trace", body, trace_text(root, answer, lineage.tally))
    return EXIT[answer.verdict] if answer else 0


def _usage(arguments: argparse.Namespace, lineage: Any) -> int:
    from llm_lineage.report.text_usage import usage_text
    from llm_lineage.report.usage import usage

    report = usage(lineage, _now(arguments), arguments.idle_days)
    _page(arguments, lineage, None, None, report)
    _emit(
        arguments, lineage, "usage", {"usage": report.as_dict()}, usage_text(report, lineage.tally)
    )
    return 0


def _cost(arguments: argparse.Namespace, lineage: Any) -> int:
    from llm_lineage.report.cost import cost
    from llm_lineage.report.text_usage import cost_text

    report = cost(lineage)
    _page(arguments, lineage, None, None)
    _emit(arguments, lineage, "cost", {"cost": report.as_dict()}, cost_text(report, lineage.tally))
    return 0


def _diff(arguments: argparse.Namespace, lineage: Any) -> int:
    from llm_lineage.report.diff import diff, versions
    from llm_lineage.report.text import diff_text
    from llm_lineage.report.trace import not_found

    key = lineage.find(arguments.dataset)
    if key is None:
        raise CommandError(not_found(lineage, arguments.dataset))
    try:
        before, after = versions(lineage, key, arguments.before, arguments.after)
    except LookupError as error:
        raise CommandError(str(error.args[0])) from error
    changes = diff(lineage, key, before, after)
    _page(arguments, lineage, None, None, changes=changes)
    _emit(arguments, lineage, "diff", changes.as_dict(), diff_text(changes, lineage.tally))
    return 0


def _licence(arguments: argparse.Namespace, lineage: Any) -> int:
    from llm_lineage.report.licences import licence_text, trained_on

    answer = trained_on(lineage, arguments.licence)
    _page(arguments, lineage, None, None)
    _emit(arguments, lineage, "licence", answer.as_dict(), licence_text(answer))
    return 0


def _page(
    arguments: argparse.Namespace,
    lineage: Any,
    traces: list[Any] | None,
    answer: Any,
    usage_report: Any = None,
    changes: Any = None,
) -> None:
    """Write the HTML page when ``--html`` asks: every answer, adapters traced by default."""
    if not arguments.html:
        return
    from llm_lineage.report.cost import cost
    from llm_lineage.report.html import render_page
    from llm_lineage.report.trace import adapter_traces
    from llm_lineage.report.usage import usage

    page = render_page(
        lineage,
        traces if traces is not None else adapter_traces(lineage),
        answer,
        usage_report or usage(lineage, _now(arguments), arguments.idle_days),
        cost(lineage),
        changes,
    )
    try:
        Path(arguments.html).write_text(page, encoding="utf-8")
    except OSError as error:
        raise CommandError(f"cannot write {arguments.html}: {error}") from error
    print(f"wrote {arguments.html}", file=sys.stderr)
