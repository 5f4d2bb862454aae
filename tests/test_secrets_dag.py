"""A real DAG run with secrets around it: none may reach events, logs, XCom or the metadata DB.

The environment holds ``DATABASE_URL`` and a listed ``MY_SERVICE_URL`` with a password, and a
listed variable holding a GitHub token; the author-hash salt comes from an Airflow Variable
(``AIRFLOW_VAR_...``). OpenLineage's ``include_full_task_info`` is on, so events carry every
operator attribute. Every byte the run left behind is then searched for each secret.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_db import query_elsewhere, read_bytes_elsewhere
from conftest import TESTS, DagRun, RunDag
from documents import make_html, make_markdown
from llm_lineage.lineage.authors import author_token
from lora_fixtures import repetitive_blocks, tiny_base, write_tokens

pytestmark = pytest.mark.dag

PASSWORD = "s3cret"
SALT = "pepper-5f1c0b9e-never-shown"
GITHUB_TOKEN = "ghp_" + "Zq7X" * 9
AUTHORS = {"Grace Hopper": 2, "Alan Turing": 1}
SECRETS = (PASSWORD, SALT, GITHUB_TOKEN)
COLLECTION = "llmLineage_documentCollection"


class Secrets:
    """What the run produced, and where it left bytes."""

    def __init__(self, run: DagRun, home: Path, out: Path, events_file: Path) -> None:
        self.run = run
        self.home = home
        self.out = out
        self.events_file = events_file

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in query_elsewhere(self.home / "airflow.db", sql, *args)]

    def database_dump(self) -> str:
        return "\n".join(query_elsewhere(self.home / "airflow.db", ""))


@pytest.fixture(scope="module")
def secrets_run(
    run_dag: RunDag, airflow_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Secrets:
    root = tmp_path_factory.mktemp("secrets")
    corpus = root / "corpus"
    corpus.mkdir()
    make_html(corpus / "a.html", "<p>Compilers.</p>", title="A", author="Grace Hopper")
    make_markdown(corpus / "b.md", "Tapes.\n", title="B", authors=["Grace Hopper", "Alan Turing"])
    base = tiny_base(root / "base")
    tokens = write_tokens(root / "tokens" / "tokens.parquet", repetitive_blocks(base, blocks=8))
    out = root / "out"
    run = run_dag(
        TESTS / "dags" / "secrets_pipeline.py",
        "secrets_pipeline",
        env={
            "TEST_CORPUS": str(corpus),
            "TEST_OUTPUT": str(out),
            "TEST_BASE": str(base),
            "TEST_TOKENS": str(tokens),
            "DATABASE_URL": f"postgresql://u:{PASSWORD}@h/db",
            "MY_SERVICE_URL": f"postgresql://u:{PASSWORD}@h/db",
            "MY_API_HANDLE": GITHUB_TOKEN,
            "LLM_LINEAGE_PLAIN": "visible",
            "AIRFLOW_VAR_LLM_LINEAGE_AUTHOR_SALT": SALT,
            "AIRFLOW__OPENLINEAGE__INCLUDE_FULL_TASK_INFO": "true",
        },
    )
    assert run.returncode == 0, run.output[-5000:]
    [events_file] = tmp_path_factory.getbasetemp().glob("secrets_pipeline[0-9]*/events.jsonl")
    return Secrets(run, airflow_home, out, events_file)


def test_the_salt_from_the_variable_made_the_tokens(secrets_run: Secrets) -> None:
    expected = {author_token(name, SALT): count for name, count in AUTHORS.items()}
    for task_id in ("extract", "extract_mapped"):
        collection = secrets_run.run.of(task_id, "COMPLETE")["inputs"][0]["facets"][COLLECTION]
        assert collection["authorPolicy"] == "hash"
        assert {a["name"]: a["documentCount"] for a in collection["authors"]} == expected


def test_rendered_salt_is_stored_masked(secrets_run: Secrets) -> None:
    rows = secrets_run.query(
        "SELECT task_id, map_index, rendered_fields FROM rendered_task_instance_fields "
        "WHERE dag_id = 'secrets_pipeline' AND task_id LIKE 'extract%' ORDER BY task_id"
    )
    assert [(task, index) for task, index, _ in rows] == [("extract", -1), ("extract_mapped", 0)]
    for _, _, fields in rows:
        assert json.loads(fields)["author_salt"] == "***"


def test_environment_facet_redacts_passwords_and_drops_tokens(secrets_run: Secrets) -> None:
    expected = [
        {"name": "MY_SERVICE_URL", "value": "postgresql://u:***@h/db"},
        {"name": "LLM_LINEAGE_PLAIN", "value": "visible"},
    ]
    for event_type in ("START", "COMPLETE"):
        facets = secrets_run.run.of("fine_tune", event_type)["run"]["facets"]
        assert facets["environmentVariables"]["environmentVariables"] == expected
    assert (
        "Environment variable MY_API_HANDLE not recorded in lineage: its value looks like a "
        "GitHub token"
    ) in secrets_run.run.output


def test_hook_path_drops_secret_names_at_run_time(secrets_run: Secrets) -> None:
    [(value,)] = secrets_run.query(
        "SELECT value FROM xcom WHERE dag_id = 'secrets_pipeline' "
        "AND task_id = 'environment_from_hook' AND key = 'return_value'"
    )
    assert json.loads(value) == [
        ["MY_SERVICE_URL", "postgresql://u:***@h/db"],
        ["LLM_LINEAGE_PLAIN", "visible"],
    ]
    assert "Environment variable DATABASE_URL not recorded in lineage" in secrets_run.run.output


def test_no_secret_anywhere(secrets_run: Secrets) -> None:
    """Events, command output (task logs), XCom, rendered fields, every table, every file."""
    places = {
        "events file": secrets_run.events_file.read_text(),
        "parsed events": json.dumps(secrets_run.run.events),
        "dags test output": secrets_run.run.output,
        "metadata database dump": secrets_run.database_dump(),
    }
    for folder in (secrets_run.home, secrets_run.out):
        for path in folder.rglob("*"):
            if path.is_file():
                places[str(path)] = read_bytes_elsewhere(path).decode("latin-1")
    assert secrets_run.query("SELECT count(*) FROM xcom WHERE dag_id = 'secrets_pipeline'")[0][0]
    assert len(secrets_run.run.events) >= 8
    leaks = [
        (secret, place) for place, text in places.items() for secret in SECRETS if secret in text
    ]
    assert not leaks
