"""The Docker demo (docker/): the Dockerfile and compose wiring, checked by parsing the files.

No Docker engine runs these tests, so they catch what would otherwise show only on
``docker compose up``: a renamed service or port, an OpenLineage transport that misses
Marquez, an Airflow image out of step with the Airflow the suite tests, paths that do not exist.
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parent.parent
DOCKER = REPO / "docker"
DOCKERFILE = DOCKER / "Dockerfile"
COMPOSE = DOCKER / "docker-compose.yml"
INIT_SQL = DOCKER / "postgres-init.sql"

MARQUEZ_API_PORT = 5000


def parse_dockerfile(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuation lines joined."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    assert not pending, "Dockerfile ends with a continuation"
    return instructions


def substitute(text: str, args: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: args[m.group(1) or m.group(2)], text)


def base_image(instructions: list[tuple[str, str]]) -> str:
    """The FROM image, with the ARGs declared before it substituted."""
    args: dict[str, str] = {}
    for keyword, arguments in instructions:
        if keyword == "ARG":
            name, _, default = arguments.partition("=")
            args[name] = default.strip("\"'")
        elif keyword == "FROM":
            return substitute(arguments.split()[0], args)
    raise AssertionError("no FROM")


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def published_ports(service: dict[str, Any]) -> dict[int, int]:
    """Container port -> host port, from the short "HOST:CONTAINER" syntax."""
    ports: dict[int, int] = {}
    for entry in service.get("ports", []):
        *_, host, container = str(entry).split(":")
        ports[int(container.split("/")[0])] = int(host)
    return ports


def bind_mounts(service: dict[str, Any]) -> dict[str, tuple[Path, str]]:
    """Container path -> (host path resolved from docker/, mode) for the bind mounts."""
    mounts: dict[str, tuple[Path, str]] = {}
    for entry in service.get("volumes", []):
        source, target, *mode = entry.split(":")
        if source.startswith((".", "/")):
            mounts[target] = ((DOCKER / source).resolve(), mode[0] if mode else "rw")
    return mounts


@pytest.fixture(scope="module")
def services() -> dict[str, dict[str, Any]]:
    services: dict[str, dict[str, Any]] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


@pytest.fixture(scope="module")
def dockerfile() -> list[tuple[str, str]]:
    return parse_dockerfile(DOCKERFILE)


@pytest.fixture(scope="module")
def pyproject() -> dict[str, Any]:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    data: dict[str, Any] = tomllib.loads((REPO / "pyproject.toml").read_text())
    return data


def test_services_exist(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "airflow", "marquez", "marquez-web"} <= services.keys()


@pytest.mark.parametrize(
    ("service", "port"), [("airflow", 8080), ("marquez", MARQUEZ_API_PORT), ("marquez-web", 3000)]
)
def test_ports_are_published(services: dict[str, dict[str, Any]], service: str, port: int) -> None:
    assert published_ports(services[service]).get(port) == port


def test_openlineage_transport_reaches_marquez(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["airflow"])
    transport = json.loads(env["AIRFLOW__OPENLINEAGE__TRANSPORT"])
    url = urlsplit(transport["url"])
    assert transport["type"] == "http"
    assert (url.hostname, url.port) == ("marquez", MARQUEZ_API_PORT)
    assert environment(services["marquez"])["MARQUEZ_PORT"] == str(MARQUEZ_API_PORT)
    assert transport["endpoint"] == "api/v1/lineage"
    assert env["AIRFLOW__OPENLINEAGE__NAMESPACE"] == "llm-lineage"


def test_marquez_web_points_at_marquez(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["marquez-web"])
    assert env["MARQUEZ_HOST"] == "marquez"
    assert env["MARQUEZ_PORT"] == environment(services["marquez"])["MARQUEZ_PORT"]


def test_catalog_link_opens_marquez_web(services: dict[str, dict[str, Any]]) -> None:
    """The tasks' "Lineage in catalog" link: Marquez web's dataset page, on its published port."""
    template = environment(services["airflow"])["AIRFLOW__LLM_LINEAGE__CATALOG_URL_TEMPLATE"]
    url = urlsplit(template)
    assert (url.hostname, url.path) == ("localhost", "/lineage/dataset/{namespace}/{name}")
    assert published_ports(services["marquez-web"]).get(url.port) == url.port


def test_databases_exist_on_postgres(services: dict[str, dict[str, Any]]) -> None:
    postgres = environment(services["postgres"])
    airflow_db = urlsplit(environment(services["airflow"])["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])
    assert (airflow_db.hostname, airflow_db.username, airflow_db.password) == (
        "postgres",
        postgres["POSTGRES_USER"],
        postgres["POSTGRES_PASSWORD"],
    )
    assert airflow_db.path == "/" + postgres["POSTGRES_DB"]

    marquez = environment(services["marquez"])
    sql = INIT_SQL.read_text()
    assert marquez["POSTGRES_HOST"] == "postgres"
    assert (
        f"CREATE USER {marquez['POSTGRES_USER']} WITH PASSWORD '{marquez['POSTGRES_PASSWORD']}'"
        in sql
    )
    assert f"CREATE DATABASE {marquez['POSTGRES_DB']} OWNER {marquez['POSTGRES_USER']}" in sql
    mounts = bind_mounts(services["postgres"])
    assert mounts["/docker-entrypoint-initdb.d/postgres-init.sql"][0] == INIT_SQL


def test_depends_on_names_defined_services(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        assert set(service.get("depends_on", [])) <= services.keys() - {name}, name


def test_example_dags_are_mounted(services: dict[str, dict[str, Any]]) -> None:
    source, mode = bind_mounts(services["airflow"])["/opt/airflow/dags"]
    assert source == REPO / "example_dags"
    assert source.is_dir()
    assert mode == "ro"


def test_bind_mount_sources_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for source, _ in bind_mounts(service).values():
            assert source.exists(), f"{name}: {source}"


def test_build_uses_this_dockerfile_from_the_repository_root(
    services: dict[str, dict[str, Any]],
) -> None:
    build = services["airflow"]["build"]
    context = (DOCKER / build["context"]).resolve()
    assert context == REPO
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE


def test_airflow_image_matches_tested_airflow(
    dockerfile: list[tuple[str, str]], pyproject: dict[str, Any]
) -> None:
    # The tag lives in one place: the AIRFLOW_IMAGE build arg that FROM uses.
    assert len([a for k, a in dockerfile if k == "ARG" and a.startswith("AIRFLOW_IMAGE=")]) == 1
    assert ("FROM", "${AIRFLOW_IMAGE}") in dockerfile
    repository, _, tag = base_image(dockerfile).partition(":")
    assert repository == "apache/airflow"
    image = Version(tag.split("-")[0])
    installed = Version(importlib.metadata.version("apache-airflow"))
    assert image.release[:2] == installed.release[:2]

    requirement = next(
        Requirement(line)
        for line in pyproject["project"]["dependencies"]
        if Requirement(line).name == "apache-airflow"
    )
    lower = next(Version(s.version) for s in requirement.specifier if s.operator == ">=")
    assert image >= lower
    assert image in requirement.specifier


def test_dockerfile_installs_the_package_with_lora(dockerfile: list[tuple[str, str]]) -> None:
    install = next(i for i, (k, a) in enumerate(dockerfile) if k == "RUN" and "pip install" in a)
    command = dockerfile[install][1]
    assert '"/opt/llm-lineage[lora]"' in command
    assert '--extra-index-url "${TORCH_INDEX}"' in command
    assert ("ARG", "TORCH_INDEX=https://download.pytorch.org/whl/cpu") in dockerfile
    # The official image's rule: pip runs as the airflow user.
    users = [a for k, a in dockerfile[:install] if k == "USER"]
    assert users and users[-1] == "airflow"
    copies = [a.split()[-1] for k, a in dockerfile if k == "COPY"]
    assert "/opt/llm-lineage" in copies


def test_lora_extra_is_defined(pyproject: dict[str, Any]) -> None:
    # pip only warns about an unknown extra, so the image would build without it.
    assert "lora" in pyproject["project"].get("optional-dependencies", {})


def test_dockerfile_copy_sources_exist(dockerfile: list[tuple[str, str]]) -> None:
    for keyword, arguments in dockerfile:
        if keyword != "COPY" or "--from=" in arguments:
            continue
        *sources, _ = [word for word in arguments.split() if not word.startswith("--")]
        for source in sources:
            assert (REPO / source).exists(), source


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    patterns = {
        line.strip().removeprefix("**/")
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {
        ".venv",
        ".git",
        ".airflow-demo",
        ".demo-output",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
    } <= patterns
