"""The Lineage tab of a curation task: what curation kept, dropped per rule and found, from the
lineage document a real engine run and the builder make (no DAG run)."""

from __future__ import annotations

from pathlib import Path

from curation_fixtures import extracted
from llm_lineage.curation import CurationSettings, curate_corpus
from llm_lineage.extraction.tables import content_of
from llm_lineage.lineage.curation import CurationPlan, curation_lineage
from llm_lineage.lineage.document import lineage_document
from llm_lineage.plugins.render import page
from llm_lineage.plugins.store import TaskReport
from llm_lineage.plugins.task_view import task_view


def test_the_tab_shows_the_curation(tmp_path: Path) -> None:
    source = extracted(tmp_path)
    plan = CurationPlan(
        source=str(source),
        output=str(tmp_path / "curated" / "text.parquet"),
        decisions=str(tmp_path / "curated" / "<b>decisions</b>.parquet"),
        settings=CurationSettings(languages=["en"]),
    )
    result = curate_corpus(source, tmp_path / "curated", plan.settings, content=content_of)
    document = lineage_document(curation_lineage(plan, None, result))
    report = TaskReport("curate", -1, "success", "TextCurationOperator", None, None, document)
    view = task_view("dag", "run", report)
    [curated] = [d for d in view.datasets if d.curation]
    assert curated.kind == "curated text"
    html = bytes(page("task.html", view=view).body).decode()
    assert "<h2>Curation" in html
    assert "<td>near_duplicate</td><td>1</td>" in html
    assert "<td>language</td><td>3</td>" in html
    assert "<td>email</td><td>2</td>" in html
    assert "&lt;b&gt;decisions&lt;/b&gt;" in html and "<b>decisions</b>" not in html
    assert "jane.doe" not in html
