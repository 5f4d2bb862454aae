"""``scripts/demo.py`` as a user runs it (in temp folders): it checks the OpenLineage settings
before running anything, deletes no file it did not make, says where the task logs are, shows no
error line on a run that succeeds, and its usage scenario gives ``report usage`` idle, orphaned
and redundant data."""

from __future__ import annotations

import collections
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import TESTS, validate_event

DEMO = TESTS.parent / "scripts" / "demo.py"
USER_EVENTS = '{"eventType": "START", "note": "a line of the user\'s own"}\n'


def _demo_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo_script", DEMO)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _environment(**settings: str) -> dict[str, str]:
    """The test process's environment without OpenLineage settings, plus ``settings``."""
    env = {
        name: value
        for name, value in os.environ.items()
        if "OPENLINEAGE" not in name and name != "LLM_LINEAGE_OUTPUT"
    }
    return {**env, **settings}


def _run_demo(tmp_path: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(DEMO),
            "--airflow-home",
            str(tmp_path / "home"),
            "--output",
            str(tmp_path / "out"),
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=1500,
        env=_environment(**settings),
    )


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        (
            {"AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "file", "log_file_path": "{events}"'},
            "is not a valid transport configuration",
        ),
        (
            {"AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "fiel", "log_file_path": "{events}"}'},
            "unknown transport type 'fiel' (did you mean 'file'?)",
        ),
        (
            {
                "AIRFLOW__OPENLINEAGE__TRANSPORT": '{"type": "file", "log_file_path": "{events}"}',
                "AIRFLOW__OPENLINEAGE__DISABLED": "true",
            },
            "OpenLineage is off",
        ),
    ],
    ids=["not-json", "type-typo", "disabled"],
)
def test_settings_that_cannot_send_stop_the_demo_before_it_touches_anything(
    tmp_path: Path, settings: dict[str, str], expected: str
) -> None:
    events = tmp_path / "out" / "openlineage" / "events.jsonl"
    events.parent.mkdir(parents=True)
    events.write_text(USER_EVENTS)  # the user's own transport writes where the demo's would
    settings = {k: v.replace("{events}", str(events)) for k, v in settings.items()}
    result = _run_demo(tmp_path, **settings)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "your settings (AIRFLOW__OPENLINEAGE__TRANSPORT" in result.stdout
    assert "cannot send events: " in result.stdout and expected in result.stdout, result.stdout
    assert "Demo stopped before running anything" in result.stdout
    assert "events went to your OpenLineage backend" not in result.stdout
    assert events.read_text() == USER_EVENTS
    assert not (tmp_path / "home" / "airflow.db").exists()


def test_the_demo_deletes_its_own_events_file_only_while_it_is_as_the_demo_left_it(
    tmp_path: Path,
) -> None:
    demo = _demo_module()
    demo.use_folders(tmp_path / "home", tmp_path / "out")
    demo.EVENTS.parent.mkdir(parents=True)
    demo.EVENTS.write_text('{"eventType": "COMPLETE"}\n')
    demo.mark_events()
    assert demo.clear_previous_events() is None
    assert not demo.EVENTS.exists()
    demo.EVENTS.write_text('{"eventType": "COMPLETE"}\n')
    demo.mark_events()
    with demo.EVENTS.open("a") as events:  # the user's transport appended to it since
        events.write(USER_EVENTS)
    kept = demo.clear_previous_events()
    assert kept is not None and kept.parent == demo.EVENTS.parent
    assert kept.read_text() == '{"eventType": "COMPLETE"}\n' + USER_EVENTS
    assert not demo.EVENTS.exists()


def test_with_a_backend_of_your_own_the_demo_says_when_nothing_was_sent(capsys) -> None:
    demo = _demo_module()
    assert demo.sent_to_own_backend("[3/3]", collections.Counter()) is False
    out = capsys.readouterr().out
    assert "no OpenLineage event was emitted: your backend got nothing" in out
    assert demo.sent_to_own_backend("[3/3]", collections.Counter(START=4, COMPLETE=4)) is True
    assert "8 OpenLineage events sent to your backend (4 COMPLETE, 4 START)" in (
        capsys.readouterr().out
    )


def test_usage_scenario_shows_idle_orphaned_and_redundant_data(tmp_path: Path) -> None:
    out = tmp_path / "out"
    events = out / "openlineage" / "events.jsonl"
    events.parent.mkdir(parents=True)
    events.write_text(USER_EVENTS)  # not the demo's: moved aside, never deleted
    result = _run_demo(tmp_path, "--scenario", "usage")
    printed = result.stdout + result.stderr
    assert result.returncode == 0, printed[-6000:]
    [kept] = events.parent.glob("events-kept-*.jsonl")
    assert kept.read_text() == USER_EVENTS
    assert f"was at {events}: moved to {kept}" in printed
    # No error line on a run that succeeds: shown, or in the full log of the runs.
    log = (out / "airflow-dags-test.log").read_text()
    for text in (printed, log):
        errors = [
            line
            for line in text.splitlines()
            if re.search(r"\bERROR\b|\[error|\[critical|Asset not found|Traceback", line)
        ]
        assert errors == [], errors[:5]
    assert f"Task logs: {out / 'airflow-dags-test.log'}" in printed
    assert "the Logs\n  tab of these runs in the UI is empty" in printed
    emitted = [json.loads(line) for line in events.read_text().splitlines()]
    for event in emitted:
        validate_event(event)
    jobs = {e["job"]["name"] for e in emitted if e["eventType"] == "COMPLETE"}
    assert "llm_lineage_extraction.extract_documents" in jobs
    assert "llm_lineage_pipeline.fine_tune" in jobs
    # The report itself, asked again here, flags all three kinds; the copy is the redundant one.
    report = subprocess.run(
        [
            sys.executable,
            "-m",
            "llm_lineage.cli",
            "report",
            "usage",
            "--events",
            str(events),
            "--now",
            "2999-01-01T00:00:00Z",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    flagged = {d["name"]: set(d["flags"]) for d in json.loads(report.stdout)["usage"]["datasets"]}
    copy = str(out / "extraction" / "text.parquet")
    assert {"orphaned", "redundant"} <= flagged[copy]
    assert "redundant" in flagged[str(out / "pipeline" / "extracted" / "text.parquet")]
    assert "idle" in flagged[str(out / "pipeline" / "tokens" / "tokens.parquet")]
    [line] = [line for line in printed.splitlines() if line.startswith("Flagged: ")]
    assert re.fullmatch(r"Flagged: [1-9]\d* idle, [1-9]\d* orphaned, [1-9]\d* redundant", line)
