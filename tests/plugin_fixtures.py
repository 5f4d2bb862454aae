"""Airflow's own API app for the plugin tests: plugins mounted, auth middleware, two users.

The app is built in the test process on the session's metadata database, as the API server
builds it, and asked for pages as the UI's tab would. The ``api`` fixture is visible to every
test module (``tests/conftest.py`` loads this module with ``pytest_plugins``).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


@dataclass
class Api:
    client: Any
    viewer: str
    nobody: str
    """A signed token of a user with no role: authenticated, allowed nothing."""

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.client.get(path, headers=headers, **kwargs)

    def page(self, path: str) -> str:
        response = self.get(path, self.viewer)
        assert response.status_code == 200, response.text[-2000:]
        return str(response.text)


@pytest.fixture(scope="module", name="api")
def api_fixture(airflow_home: Path) -> Iterator[Api]:
    """Airflow's own API app (plugins mounted, auth middleware), simple auth manager, no all-admins."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv(
            "AIRFLOW__CORE__AUTH_MANAGER",
            "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
        )
        env.setenv("AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS", "False")
        env.setenv("AIRFLOW__API_AUTH__JWT_SECRET", secrets.token_hex(32))
        from airflow.api_fastapi.app import create_app, get_auth_manager, purge_cached_app
        from airflow.api_fastapi.auth.managers.simple.user import SimpleAuthManagerUser
        from fastapi.testclient import TestClient

        client = TestClient(create_app(apps="core"))
        manager = get_auth_manager()
        viewer = manager.generate_jwt(SimpleAuthManagerUser(username="viewer", role="viewer"))
        nobody = manager.generate_jwt(SimpleAuthManagerUser(username="nobody", role=None))
        yield Api(client, viewer, nobody)
        purge_cached_app()
