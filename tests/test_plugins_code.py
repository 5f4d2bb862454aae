"""The Lineage tab's code and environment section, from a stored document (no DAG run)."""

from __future__ import annotations

from typing import Any

from llm_lineage.plugins.render import page
from llm_lineage.plugins.store import TaskReport
from llm_lineage.plugins.task_view import task_view

COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d"
FINGERPRINT = "7ec876c2a401cf5254ce7c364ef8d269779cb43f4cf4d6226c440389ca094d9a"


def _document(url: str, dirty: bool) -> dict[str, Any]:
    return {
        "documentVersion": 1,
        "eventType": "COMPLETE",
        "inputs": [],
        "outputs": [],
        "run": {
            "facets": {
                "llmLineage_environment": {
                    "pythonVersion": "3.11.7",
                    "os": "Linux",
                    "architecture": "x86_64",
                    "fingerprint": FINGERPRINT,
                    "libraries": {"pyarrow": "26.0.1"},
                    "accelerator": {"kind": "cuda", "deviceCount": 2, "deviceName": "H100"},
                    "sourceCode": {"origin": "gitCheckout", "dirty": dirty},
                }
            }
        },
        "job": {
            "facets": {
                "sourceCodeLocation": {
                    "type": "git",
                    "url": url,
                    "repoUrl": "https://github.com/org/pipelines.git",
                    "path": "dags/pipeline.py",
                    "version": COMMIT,
                    "branch": "main",
                }
            }
        },
    }


def _html(document: dict[str, Any]) -> str:
    report = TaskReport("t", -1, "success", "DocumentExtractionOperator", None, None, document)
    response = page("task.html", view=task_view("d", "r", report))
    assert response.status_code == 200
    return bytes(response.body).decode()


def test_the_tab_shows_commit_dirty_flag_and_environment() -> None:
    url = f"https://github.com/org/pipelines/blob/{COMMIT}/dags/pipeline.py"
    html = _html(_document(url, dirty=True))
    assert "<h2>Code and environment</h2>" in html
    assert f'<a href="{url}" rel="noopener noreferrer">{COMMIT}</a>' in html
    assert "dirty working tree" in html
    assert FINGERPRINT in html and "pyarrow 26.0.1" in html and "2 x H100" in html
    assert "dirty working tree" not in _html(_document(url, dirty=False))


def test_a_url_that_is_not_http_is_not_a_link() -> None:
    html = _html(_document("javascript:alert(1)", dirty=False))
    assert 'href="javascript:' not in html and COMMIT in html


def test_no_code_location_says_so() -> None:
    document = _document("https://x", dirty=False)
    document["job"] = {"facets": {}}
    del document["run"]["facets"]["llmLineage_environment"]["sourceCode"]
    html = _html(document)
    assert "unknown: the DAG is neither in a versioned bundle nor in a git checkout" in html
    assert FINGERPRINT in html
