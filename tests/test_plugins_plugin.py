"""The plugin's registration: Airflow's plugins manager and providers manager both find it.

The views it registers are tested in ``test_plugins_views.py``.
"""

from __future__ import annotations

import json
from pathlib import Path

from llm_lineage.get_provider_info import get_provider_info

PREFIX = "/llm-lineage"


def test_plugins_manager_loads_the_plugin_from_its_entry_point(airflow_home: Path) -> None:
    from airflow import plugins_manager

    (info,) = [p for p in plugins_manager.get_plugin_info() if p["name"] == "llm_lineage"]
    assert "airflow-provider-llm-lineage" in str(info["source"])
    assert [app["url_prefix"] for app in info["fastapi_apps"]] == [PREFIX]
    views = {view["destination"]: view for view in info["external_views"]}
    assert set(views) == {"task_instance", "dag_run"}
    task_href = views["task_instance"]["href"]
    for placeholder in ("{DAG_ID}", "{RUN_ID}", "{TASK_ID}", "{MAP_INDEX}"):
        assert placeholder in task_href
    # Relative to Airflow's base URL (the UI's <base href>), so a base_url path prefix works.
    assert task_href.startswith(PREFIX.lstrip("/") + "/")
    assert all(view["url_route"] for view in views.values())
    assert not any("llm_lineage" in source for source in plugins_manager.get_import_errors())


def test_providers_manager_lists_the_plugin_and_the_provider_info_is_valid() -> None:
    import jsonschema
    from airflow import __file__ as airflow_init
    from airflow.providers_manager import ProvidersManager

    ours = [
        p for p in ProvidersManager().plugins if p.provider_name == "airflow-provider-llm-lineage"
    ]
    assert [(p.name, p.plugin_class) for p in ours] == [
        ("llm_lineage", "llm_lineage.plugins.plugin.LlmLineagePlugin")
    ]
    schema = json.loads((Path(airflow_init).parent / "provider_info.schema.json").read_text())
    jsonschema.validate(get_provider_info(), schema)
