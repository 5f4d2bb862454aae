"""Code location and environment on every step of real DAG runs (``provenance_runs.py``)."""

from __future__ import annotations

import json

import pytest

from llm_lineage.facets import PRODUCER
from provenance_runs import GitRuns, step_events

pytestmark = pytest.mark.dag

STEPS = ("extract_documents", "tokenize", "fine_tune")


def test_every_step_names_the_commit_it_ran(git_runs: GitRuns) -> None:
    for run, commit in zip(git_runs.trainings, git_runs.commits, strict=True):
        events = step_events(run)
        assert {e["job"]["name"].rsplit(".", 1)[1] for e in events} == set(STEPS)
        for event in events:
            code = event["job"]["facets"]["sourceCodeLocation"]
            assert code["type"] == "git"
            assert code["version"] == commit
            assert code["branch"] == "main"
            assert code["path"] == "dags/report_pipeline.py"
            assert code["repoUrl"] == "https://github.com/org/pipelines.git"
            assert code["url"] == (
                f"https://github.com/org/pipelines/blob/{commit}/dags/report_pipeline.py"
            )
            state = event["run"]["facets"]["llmLineage_environment"]["sourceCode"]
            assert state == {
                "origin": "gitCheckout",
                "repoUrl": code["repoUrl"],
                "path": code["path"],
                "commit": commit,
                "branch": "main",
                "dirty": False,
            }


def test_no_credential_of_the_remote_reaches_an_event(git_runs: GitRuns) -> None:
    for run in (*git_runs.trainings, git_runs.dirty):
        text = json.dumps(run.events)
        assert "ghp_" not in text and "deploy" not in text


def test_a_dirty_tree_is_flagged(git_runs: GitRuns) -> None:
    for event in step_events(git_runs.dirty):
        assert event["job"]["facets"]["sourceCodeLocation"]["version"] == git_runs.commits[-1]
        assert event["job"]["facets"]["sourceCodeLocation"]["path"] == "solo/provenance_extract.py"
        state = event["run"]["facets"]["llmLineage_environment"]["sourceCode"]
        assert (state["commit"], state["dirty"]) == (git_runs.commits[-1], True)


def test_a_dag_outside_git_has_no_code_location(git_runs: GitRuns) -> None:
    events = step_events(git_runs.outside)
    assert events
    for event in events:
        assert "sourceCodeLocation" not in event["job"]["facets"]
        assert "sourceCode" not in event["run"]["facets"]["llmLineage_environment"]


def test_every_step_reports_its_environment(git_runs: GitRuns) -> None:
    libraries = {
        "extract_documents": {"pyarrow", "pypdfium2", "python-docx"},
        "tokenize": {"pyarrow", "tokenizers"},
        "fine_tune": {"torch", "transformers", "peft"},
    }
    fingerprints = set()
    for run in git_runs.trainings:
        for event in step_events(run):
            facet = event["run"]["facets"]["llmLineage_environment"]
            step = event["job"]["name"].rsplit(".", 1)[1]
            assert libraries[step] <= set(facet["libraries"])
            assert facet["pythonVersion"].count(".") == 2
            assert facet["os"] and facet["architecture"]
            fingerprints.add(facet["fingerprint"])
    assert len(fingerprints) == 1  # one venv, every run and step


def test_environment_variables_on_extraction(git_runs: GitRuns) -> None:
    for event in step_events(git_runs.dirty):
        variables = event["run"]["facets"]["environmentVariables"]["environmentVariables"]
        assert variables == [{"name": "LLM_LINEAGE_TEST_REGION", "value": "eu-west-1"}]


def test_our_facets_name_this_package_as_producer(git_runs: GitRuns) -> None:
    for event in step_events(git_runs.trainings[0]):
        assert "airflow" in event["producer"]
        facets = {
            **event["run"]["facets"],
            **{k: v for d in event.get("outputs", []) for k, v in d["facets"].items()},
        }
        ours = {k: v for k, v in facets.items() if k.startswith("llmLineage_")}
        assert ours
        assert {v["_producer"] for v in ours.values()} == {PRODUCER}


def test_hyperparameters_as_execution_parameters(git_runs: GitRuns) -> None:
    seeds = []
    for run in git_runs.trainings:
        complete = run.of("fine_tune", "COMPLETE")
        parameters = {
            p["key"]: p["value"]
            for p in complete["run"]["facets"]["executionParameters"]["parameters"]
        }
        assert parameters["training.learning_rate"] == "0.005"
        assert parameters["lora.r"] == "4"
        seeds.append(parameters["training.seed"])
    assert seeds == ["42", "7"]
