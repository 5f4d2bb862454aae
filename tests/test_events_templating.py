"""One Jinja set-up for every page, and no version cut without the whole of it on hover.

Versions are 64-character hashes; the pages cut them to 16 so tables stay readable. Wherever a
page shows a cut version (the Lineage tab, the DAG-run view, the HTML report), an element
around it carries the whole version in its ``title``, so hovering shows it and it can be copied.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from llm_lineage.events import templating
from llm_lineage.plugins.app import task_response
from llm_lineage.plugins.render import environment, page
from llm_lineage.plugins.run_view import run_view
from llm_lineage.plugins.store import RunReports, TaskReport
from llm_lineage.report.html import _environment as report_environment
from report_fixtures import cli

EVENTS = Path(__file__).parent / "datahub_pipeline_events.jsonl"


class _CutVersions(HTMLParser):
    """Collects each text that shows a version cut, and whether a title around it has it all."""

    def __init__(self, versions: set[str]) -> None:
        super().__init__()
        self.versions = versions
        self.titles: list[str] = []
        self.cut: list[tuple[str, bool]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in {"br", "meta", "rect", "path", "input", "img"}:
            self.titles.append(dict(attrs).get("title") or "")

    def handle_endtag(self, tag: str) -> None:
        if self.titles and tag not in {"br", "meta", "rect", "path", "input", "img"}:
            self.titles.pop()

    def handle_data(self, data: str) -> None:
        for version in self.versions:
            if version[:16] in data and version not in data:
                self.cut.append((version, any(version in title for title in self.titles)))


def _events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in EVENTS.read_text().splitlines() if line.strip()]


def _versions() -> set[str]:
    return {
        dataset["facets"]["version"]["datasetVersion"]
        for event in _events()
        for dataset in [*event["inputs"], *event["outputs"]]
        if "version" in dataset.get("facets", {})
    }


def _reports() -> list[TaskReport]:
    found = []
    for event in _events():
        if event["eventType"] == "COMPLETE" and (event["inputs"] or event["outputs"]):
            document = {
                "documentVersion": 1,
                "eventType": "COMPLETE",
                "inputs": event["inputs"],
                "outputs": event["outputs"],
                "run": {"facets": event["run"]["facets"]},
                "job": {"facets": event["job"]["facets"]},
            }
            task = event["job"]["name"].rsplit(".", 1)[-1]
            found.append(TaskReport(task, -1, "success", "Op", None, None, document))
    return found


def _cut_versions(html: str) -> list[tuple[str, bool]]:
    parser = _CutVersions(_versions())
    parser.feed(html)
    return parser.cut


def test_every_page_is_set_up_by_the_one_environment() -> None:
    plugin, report = environment(), report_environment()
    for env in (plugin, report):
        assert env.autoescape is True
        assert {name: env.filters[name] for name in templating.FILTERS} == dict(templating.FILTERS)
    assert plugin.globals["records"] is report.globals["records"]


def test_the_lineage_tab_and_run_view_show_every_cut_version_whole_on_hover() -> None:
    reports = _reports()
    pages = [bytes(task_response("d", "r", r, reports).body).decode() for r in reports]
    view = run_view("d", "r", RunReports(reports, len(reports)))
    pages.append(bytes(page("run.html", view=view).body).decode())
    cut = [found for html in pages for found in _cut_versions(html)]
    assert len(cut) > 10  # versions are cut in the tables, edges and stages
    assert [version for version, whole in cut if not whole] == []


def test_the_html_report_shows_every_cut_version_whole_on_hover(tmp_path: Path) -> None:
    html_path = tmp_path / "usage.html"
    assert cli("usage", "--events", str(EVENTS), "--html", str(html_path))[0] == 0
    cut = _cut_versions(html_path.read_text())
    assert len(cut) >= 6  # one per dataset in the usage table
    assert [version for version, whole in cut if not whole] == []
