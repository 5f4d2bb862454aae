"""The plugin's rendering without a DAG run: the loss chart, and documents of the wrong shape.

Any task may push any value under the lineage document's key, so the views read it
defensively; hostile strings in it must come out as text.
"""

from __future__ import annotations

from llm_lineage.plugins.chart import loss_chart
from llm_lineage.plugins.render import page
from llm_lineage.plugins.store import TaskReport
from llm_lineage.plugins.task_view import task_view

HOSTILE_TITLE = "<script>alert(1)</script>"
HOSTILE_FILE = "<svg onload=alert(3)>.pdf"


def test_loss_chart_skips_points_that_are_not_finite_numbers() -> None:
    curve = [
        {"step": 1, "loss": 2.0},
        {"step": 2, "loss": None},
        {"step": True, "loss": 1.0},
        "not a point",
        {"step": 3, "loss": 1.0},
    ]
    chart = loss_chart(curve)
    assert chart is not None and chart.count == 2
    assert (chart.first_step, chart.last_step, chart.low, chart.high) == (1, 3, 1.0, 2.0)
    assert loss_chart([{"step": 1, "loss": 1.0}]) is None
    assert loss_chart("not a list") is None


def test_a_document_of_the_wrong_shape_still_renders() -> None:
    """Any task may push any value under the key: wrong types read as missing, not as errors."""
    document = {
        "documentVersion": 1,
        "eventType": "COMPLETE",
        "inputs": [
            {
                "namespace": "file",
                "name": 7,
                "facets": {
                    "llmLineage_documentCollection": {
                        "documentCount": "many",
                        "authors": 5,
                        "formats": "pdf",
                        "sample": [None, {"title": HOSTILE_TITLE}],
                    }
                },
            },
            "not a dataset",
        ],
        "outputs": {"not": "a list"},
        "run": {
            "facets": {
                "llmLineage_training": {"lossCurve": "bad", "hyperparameters": [1, 2]},
                "extractionError": {"failedTasks": "x", "errors": [{"task": HOSTILE_FILE}]},
            }
        },
    }
    report = TaskReport("t", -1, "success", "Custom", None, None, document)
    response = page("task.html", view=task_view("d", "r", report))
    html = bytes(response.body).decode()
    assert response.status_code == 200
    assert "&lt;script&gt;" in html and "<script" not in html and "<svg onload" not in html
