"""The documentation site: tables generated from the code, every page in the nav, strict settings.

``make docs-check`` (in ``.ci/run``) builds the site with ``mkdocs build --strict``; these tests
check, without building it, what that build relies on: the hook that renders the settings tables
(``scripts/mkdocs_settings.py``) renders every field of the class it names with the field's real
default and bounds, fails on a name that does not import, and every page of ``docs/`` is in the
nav of ``mkdocs.yml`` (or reserved there for a page another branch brings).
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from llm_lineage.curation.settings import CurationSettings
from llm_lineage.extraction.settings import ExtractionSettings
from llm_lineage.training.settings import TrainingSettings
from llm_lineage.transports.spool import SpoolConfig

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs"
MKDOCS = REPO / "mkdocs.yml"
MARKER = re.compile(r"<!--\s*settings:\s*([\w.]+)\s*-->")


def _hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "mkdocs_settings", REPO / "scripts/mkdocs_settings.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOOK = _hook()


class _Loader(yaml.SafeLoader):
    """mkdocs.yml names Python objects (``!!python/name:``); read them as plain strings."""


_Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: suffix)


def config() -> dict[str, Any]:
    return yaml.load(MKDOCS.read_text(), Loader=_Loader)  # a SafeLoader subclass


def nav_pages(nav: Any) -> list[str]:
    if isinstance(nav, str):
        return [nav]
    if isinstance(nav, list):
        return [page for item in nav for page in nav_pages(item)]
    if isinstance(nav, dict):
        return [page for value in nav.values() for page in nav_pages(value)]
    return []


def rows(table: str) -> dict[str, list[str]]:
    """A generated table's rows by field name: [type, default, bounds]."""
    row = re.compile(r"^\| `(\w+)` \| (`[^`]*`) \| (.*) \| ([^|]*) \|$")
    found = {}
    for line in table.splitlines():
        match = row.match(line)
        if match:
            found[match.group(1)] = [match.group(2), match.group(3), match.group(4).strip()]
    return found


@pytest.mark.parametrize("model", [ExtractionSettings, CurationSettings, TrainingSettings])
def test_a_settings_table_has_every_field_with_its_real_default(model: Any) -> None:
    table = rows(HOOK.render(f"<!-- settings: {model.__module__}.{model.__name__} -->"))
    assert list(table) == list(model.model_fields)
    for name, field in model.model_fields.items():
        assert table[name][1] == f"`{field.get_default(call_default_factory=True)!r}`"


def test_bounds_and_types_come_from_the_model() -> None:
    table = rows(
        HOOK.render("<!-- settings: llm_lineage.extraction.settings.ExtractionSettings -->")
    )
    assert table["max_document_memory_bytes"] == ["`int`", "`2147483648`", f">= {64 * 1024**2}"]
    assert table["on_error"][0] == "`Literal['skip', 'fail']`"
    assert table["workers"] == ["`int | None`", "`None`", ">= 0, <= 256"]


def test_a_transport_configuration_is_tabled_with_its_required_keys() -> None:
    table = rows(HOOK.render("<!-- settings: llm_lineage.transports.spool.SpoolConfig -->"))
    assert list(table) == list(SpoolConfig.model_fields)
    assert table["directory"][1] == "required"
    assert table["max_bytes"][1] == f"`{SpoolConfig.model_fields['max_bytes'].default!r}`"


def test_the_airflow_options_come_from_the_provider_info() -> None:
    table = HOOK.render("<!-- airflow-config -->")
    assert "| `[llm_lineage]` | `catalog_url_template` | `''` |" in table


def test_a_name_that_does_not_import_fails_the_build() -> None:
    with pytest.raises(AttributeError):
        HOOK.render("<!-- settings: llm_lineage.extraction.settings.NoSuchSettings -->")
    with pytest.raises(TypeError, match="neither a pydantic model nor an attrs class"):
        HOOK.render("<!-- settings: llm_lineage.extraction.settings.available_cores -->")


def test_every_marker_on_the_pages_renders() -> None:
    markers = [
        (page, name) for page in DOCS.rglob("*.md") for name in MARKER.findall(page.read_text())
    ]
    assert len(markers) >= 8
    for page, name in markers:
        assert rows(HOOK.render(f"<!-- settings: {name} -->")), (page, name)
    assert "<!-- airflow-config -->" in (DOCS / "configuration.md").read_text()


def test_every_page_is_in_the_nav_or_reserved() -> None:
    listed = set(nav_pages(config()["nav"]))
    reserved = set(re.findall(r"^\s*#\s*- [^:]+: ([\w/-]+\.md)$", MKDOCS.read_text(), re.M))
    pages = {page.relative_to(DOCS).as_posix() for page in DOCS.rglob("*.md")}
    assert pages - listed - reserved == set()
    assert listed - pages == set()
    assert {"provenance.md", "compliance.md", "distributed-training.md", "cli.md"} <= (
        listed | reserved
    )


def test_the_build_is_strict_and_validates_links_and_anchors() -> None:
    settings = config()
    assert settings["strict"] is True
    links = settings["validation"]["links"]
    assert links["not_found"] == links["anchors"] == "warn"  # strict turns warnings into errors
    assert settings["validation"]["nav"]["omitted_files"] == "warn"
    assert "scripts/mkdocs_settings.py" in settings["hooks"]
    assert "make docs-check" in (REPO / ".ci/run").read_text()
