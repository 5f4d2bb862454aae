"""A broken OpenLineage transport setting is an ERROR in the task's log, not a silent run.

With ``AIRFLOW__OPENLINEAGE__TRANSPORT`` not JSON, Airflow's OpenLineage plugin fails to import
and the DAG succeeds with no lineage sent; with a type that does not exist every emit fails.
The step hooks check the settings as the provider reads them (``hooks/openlineage_config.py``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from conftest import AIRFLOW, TESTS

DAG_FILE = TESTS / "dags" / "openlineage_settings.py"
MESSAGE = "OpenLineage cannot send this task's lineage: "


def _dags_test(airflow_home: Path, tmp_path: Path, env: dict[str, str]) -> str:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "note.txt").write_text("A short note about lineage.\n")
    (airflow_home / "dags" / DAG_FILE.name).write_text(DAG_FILE.read_text())
    result = subprocess.run(
        [str(AIRFLOW), "dags", "test", "openlineage_settings"],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **os.environ,
            "TEST_CORPUS": str(corpus),
            "TEST_OUTPUT": str(tmp_path / "out"),
            **env,
        },
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert (tmp_path / "out" / "text.parquet").is_file()  # the work itself is done
    return output


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if MESSAGE in line]


@pytest.mark.parametrize(
    ("transport", "expected"),
    [
        (
            '{"type": "file", "log_file_path": ',
            "[openlineage] transport (AIRFLOW__OPENLINEAGE__TRANSPORT) is not a valid "
            "transport configuration: ",
        ),
        (
            json.dumps({"type": "fiel", "log_file_path": "/tmp/x.jsonl"}),
            "[openlineage] transport (AIRFLOW__OPENLINEAGE__TRANSPORT): unknown transport "
            "type 'fiel' (did you mean 'file'?); known types: ",
        ),
    ],
    ids=["not-json", "type-typo"],
)
def test_a_broken_transport_setting_is_an_error_in_the_task_log(
    airflow_home: Path, tmp_path: Path, transport: str, expected: str
) -> None:
    output = _dags_test(airflow_home, tmp_path, {"AIRFLOW__OPENLINEAGE__TRANSPORT": transport})
    lines = _error_lines(output)
    assert lines, output[-4000:]
    for line in lines:  # once per process (dags test runs the task in its own process)
        assert "error" in line.lower().split(MESSAGE)[0], line  # logged at ERROR level
        assert expected in line, line


def test_a_working_transport_logs_no_such_error(airflow_home: Path, tmp_path: Path) -> None:
    events = tmp_path / "events.jsonl"
    transport = json.dumps({"type": "file", "log_file_path": str(events), "append": True})
    output = _dags_test(airflow_home, tmp_path, {"AIRFLOW__OPENLINEAGE__TRANSPORT": transport})
    assert _error_lines(output) == []
    kinds = [json.loads(line)["eventType"] for line in events.read_text().splitlines()]
    assert "COMPLETE" in kinds
