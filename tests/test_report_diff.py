"""``llm-lineage report diff`` on two real trainings of one adapter (``provenance_runs.py``).

The second training read one more document, used another seed and ran from the next commit:
exactly those three inputs changed, and the versions that follow from them (text, tokens,
adapter, the document collection) are listed apart, as are the measured outcomes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from provenance_runs import ADDED_DOCUMENT, GitRuns
from report_fixtures import cli, cli_json

pytestmark = pytest.mark.dag


def _adapter_versions(git_runs: GitRuns) -> list[str]:
    return [
        next(
            d["facets"]["version"]["datasetVersion"]
            for d in run.of("fine_tune", "COMPLETE")["outputs"]
        )
        for run in git_runs.trainings
    ]


def test_diff_reports_exactly_the_three_changes(git_runs: GitRuns) -> None:
    status, report = cli_json(
        "diff", str(git_runs.out / "adapter"), "--events", str(git_runs.events_file)
    )
    assert status == 0
    first, second = _adapter_versions(git_runs)
    assert (report["from"], report["to"]) == (first, second)
    inputs = [c for c in report["changes"] if c["kind"] == "input"]
    assert [c["field"] for c in inputs] == ["documents", "hyperparameters.seed", "code.commit"]
    documents, seed, commit = inputs
    assert documents["to"] == documents["from"] + 1
    assert documents["added"] == [ADDED_DOCUMENT] and documents["removed"] == []
    assert (seed["from"], seed["to"]) == (42, 7)
    assert (commit["from"], commit["to"]) == tuple(git_runs.commits)
    followed = {c["field"] for c in report["changes"] if c["kind"] == "version"}
    assert followed == {"version.documents", "version.text", "version.tokens", "version.adapter"}
    assert {c["kind"] for c in report["changes"]} <= {"input", "version", "outcome"}
    assert "environment.fingerprint" in report["unchanged"]
    assert "tokenizer" in report["unchanged"] and "transforms" in report["unchanged"]


def test_from_and_to_take_prefixes_and_default_to_the_last_two(git_runs: GitRuns) -> None:
    first, second = _adapter_versions(git_runs)
    events = str(git_runs.events_file)
    adapter = str(git_runs.out / "adapter")
    _, by_default = cli_json("diff", adapter, "--events", events)
    _, named = cli_json(
        "diff", adapter, "--events", events, "--from", first[:10], "--to", second[:10]
    )
    assert named["changes"] == by_default["changes"]
    _, reversed_ = cli_json(
        "diff", adapter, "--events", events, "--from", second[:10], "--to", first[:10]
    )
    seed = next(c for c in reversed_["changes"] if c["field"] == "hyperparameters.seed")
    assert (seed["from"], seed["to"]) == (7, 42)
    documents = next(c for c in reversed_["changes"] if c["field"] == "documents")
    assert documents["removed"] == [ADDED_DOCUMENT]


def test_diff_text_and_html(git_runs: GitRuns, tmp_path: Path) -> None:
    page = tmp_path / "diff.html"
    status, text = cli(
        "diff",
        str(git_runs.out / "adapter"),
        "--events",
        str(git_runs.events_file),
        "--html",
        str(page),
    )
    assert status == 0
    assert "changed inputs and settings (3):" in text
    assert f"    + {ADDED_DOCUMENT}" in text
    assert "  hyperparameters.seed: 42 -> 7" in text
    assert f"  code.commit: {git_runs.commits[0]} -> {git_runs.commits[1]}" in text
    html = page.read_text()
    assert "<h2>Diff</h2>" in html and "hyperparameters.seed" in html and ADDED_DOCUMENT in html


def test_trace_names_the_code_and_environment(git_runs: GitRuns) -> None:
    status, text = cli(
        "trace", str(git_runs.out / "adapter"), "--events", str(git_runs.events_file)
    )
    assert status == 0
    assert f"code: https://github.com/org/pipelines.git@{git_runs.commits[1][:16]} (main)" in text
    assert "environment fingerprint " in text
    _, report = cli_json(
        "trace", str(git_runs.out / "adapter"), "--events", str(git_runs.events_file)
    )
    step = report["trace"]["produced_by"]
    assert step["code"]["commit"] == git_runs.commits[1]
    assert len(step["environment"]["fingerprint"]) == 64


def test_a_version_that_is_not_there_is_a_clear_error(
    git_runs: GitRuns, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = str(git_runs.out / "adapter")
    events = str(git_runs.events_file)
    assert cli("diff", adapter, "--events", events, "--from", "ffffffffff")[0] == 2
    assert "0 versions of" in capsys.readouterr().err
    first = _adapter_versions(git_runs)[0]
    assert cli("diff", adapter, "--events", events, "--to", first)[0] == 2
    assert "no version before" in capsys.readouterr().err
