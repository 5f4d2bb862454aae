"""Regenerate ``docs/screenshots/`` from a real run at a neutral path.

The Lineage tab and the DAG-run view are what ``tests/test_airflow_ui.py`` photographs: a real
Airflow (scheduler, DAG processor, API server) runs the example pipeline and headless Chromium
opens the pages. Here that test runs with ``LLM_LINEAGE_UI_ROOT`` set, so Airflow, its outputs
and a copy of the example DAGs live under ``/opt/airflow`` (the paths of the Docker deployment)
and the pictures show no path of the machine that made them. The report picture is
``llm-lineage report trace`` of that run's adapter, as HTML, photographed by the same Chromium.

    .venv/bin/python scripts/screenshots.py [--root /opt/airflow]

The root must be empty or new; it is left in place for a look at the outputs and logs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHOTS = REPO / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
#: The UI test's artifact names and the names the documentation shows them by.
PAGES = {
    "task-instance-lineage.png": "lineage-tab.png",
    "dag-run-lineage.png": "dag-run-lineage.png",
}


def run_ui_test(root: Path) -> Path:
    artifacts = root / "artifacts"
    env = {
        "LLM_LINEAGE_UI_RUN_TIMEOUT": "1200",
        **os.environ,
        "LLM_LINEAGE_UI_ROOT": str(root),
        "LLM_LINEAGE_TEST_ARTIFACTS": str(artifacts),
    }
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "tests/test_airflow_ui.py",
    ]
    subprocess.run(command, cwd=REPO, env=env, check=True)
    return artifacts


def adapter_of(events: Path) -> str:
    """The adapter the pipeline's fine-tuning wrote, as the report names it."""
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event["eventType"] == "COMPLETE" and event["job"]["name"].endswith("pipeline.fine_tune"):
            output = event["outputs"][0]
            return (
                f"{output['namespace']}://{output['name']}"
                if output["namespace"] != "file"
                else output["name"]
            )
    raise SystemExit(f"no fine_tune COMPLETE event in {events}")


def report_shot(root: Path, target: Path) -> None:
    from playwright.sync_api import sync_playwright

    from llm_lineage.cli.main import main

    events = root / "openlineage" / "events.jsonl"
    page_path = root / "report.html"
    if main(
        ["report", "trace", adapter_of(events), "--events", str(events), "--html", str(page_path)]
    ):
        raise SystemExit("llm-lineage report trace failed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        page = browser.new_page(viewport={"width": 1640, "height": 1000})
        page.goto(page_path.as_uri())
        page.screenshot(path=str(target))
        browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path("/opt/airflow"))
    root = parser.parse_args().root
    artifacts = run_ui_test(root)
    for made, shown in PAGES.items():
        shutil.copyfile(artifacts / made, SHOTS / shown)
    report_shot(root, SHOTS / "report.png")
    print(f"wrote {', '.join([*PAGES.values(), 'report.png'])} to {SHOTS.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
