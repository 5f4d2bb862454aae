"""Helpers shared by the report tests that ask questions of the report pipeline's events.

The events come from ``report_runs.py`` (its ``scenario`` fixture); these helpers run the
``llm-lineage report`` command in this process and pick values out of the events.
"""

from __future__ import annotations

import contextlib
import io
import json
from typing import Any

from llm_lineage.cli.main import main

#: The scenario's runs, by their index in ``Scenario.runs``.
A, B, C = 0, 1, 2


def cli(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["report", *args])
    return status, out.getvalue()


def cli_json(*args: str) -> tuple[int, dict[str, Any]]:
    status, text = cli(*args, "--json")
    return status, json.loads(text)


def version(dataset: dict[str, Any]) -> str:
    return dataset["facets"]["version"]["datasetVersion"]


def output(event: dict[str, Any], suffix: str) -> dict[str, Any]:
    [found] = [d for d in event["outputs"] if d["name"].endswith(suffix)]
    return found
