"""One self-contained HTML page with all three answers and the lineage graph as inline SVG.

No script, stylesheet, font or image is loaded from anywhere, so the page reads offline and
can be mailed. Every value passes through Jinja2's autoescaping; nothing is marked safe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import jinja2

from llm_lineage.events import templating
from llm_lineage.report.cost import CostReport
from llm_lineage.report.diff import Diff
from llm_lineage.report.documents import DocumentAnswer
from llm_lineage.report.graph import Lineage
from llm_lineage.report.svg import HEIGHT, WIDTH, layout
from llm_lineage.report.timeutil import shown
from llm_lineage.report.trace import Node
from llm_lineage.report.usage import UsageReport


def _environment() -> jinja2.Environment:
    """The report's template, set up as every page of ours is (``events/templating.py``)."""
    return templating.environment("llm_lineage.report", strict=True)


def render_page(
    lineage: Lineage,
    traces: Sequence[Node],
    answer: DocumentAnswer | None,
    usage: UsageReport,
    cost: CostReport,
    changes: Diff | None = None,
) -> str:
    flags = {entry.history.id.uri: entry.flags for entry in usage.datasets}
    context: dict[str, Any] = {
        "source": lineage.source,
        "generated": shown(dt.datetime.now(dt.timezone.utc)),
        "skipped": lineage.tally.skipped(),
        "runs": len(lineage.runs),
        "graph": layout(lineage, flags),
        "box_width": WIDTH,
        "box_height": HEIGHT,
        "traces": [node.as_dict() for node in traces],
        "answer": answer.as_dict() if answer else None,
        "usage": usage.as_dict(),
        "cost": cost.as_dict(),
        "diff": changes.as_dict() if changes else None,
    }
    return _environment().get_template("report.html").render(context)
