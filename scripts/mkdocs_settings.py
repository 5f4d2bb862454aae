"""MkDocs hook: parameter tables generated from the code, so the documentation cannot drift.

A page writes ``<!-- settings: llm_lineage.extraction.settings.ExtractionSettings -->`` and the
hook replaces the comment with a table of that class's fields (name, type, default and the
bounds pydantic enforces), read from the pydantic model (or the attrs class: the transports'
configurations) at build time. ``<!-- airflow-config -->`` becomes the table of the provider's
``[llm_lineage]`` Airflow options, from ``get_provider_info()``. A name that does not import
fails the build, so a renamed class or field breaks ``mkdocs build --strict`` rather than the
page. The tests (``tests/test_docs_site.py``) call ``render`` directly.
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import annotated_types
import attr
from pydantic import BaseModel
from pydantic_core import PydanticUndefined

SRC = Path(__file__).resolve().parent.parent / "src"
MARKER = re.compile(r"<!--\s*settings:\s*([\w.]+)\s*-->")
AIRFLOW_CONFIG = "<!-- airflow-config -->"

_BOUNDS = (
    (annotated_types.Gt, "gt", "> {}"),
    (annotated_types.Ge, "ge", ">= {}"),
    (annotated_types.Lt, "lt", "< {}"),
    (annotated_types.Le, "le", "<= {}"),
    (annotated_types.MinLen, "min_length", "length >= {}"),
    (annotated_types.MaxLen, "max_length", "length <= {}"),
)


def load(dotted: str) -> type:
    """The class named ``module.Class``, imported from this checkout's ``src``."""
    if str(SRC) not in sys.path:
        sys.path.insert(0, str(SRC))
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)  # type: ignore[no-any-return]


def type_name(annotation: Any) -> str:
    if isinstance(annotation, str):  # attrs under ``from __future__ import annotations``
        text = annotation
    elif isinstance(annotation, type):
        text = annotation.__name__
    else:
        text = repr(annotation)
    text = re.sub(r"\b(?:typing|collections\.abc|llm_lineage(?:\.\w+)*)\.", "", text)
    text = re.sub(r"Annotated\[(\w+), [^\]]*\]", r"\1", text)
    text = re.sub(r"^Optional\[(.*)\]$", r"\1 | None", text)
    return text.replace("NoneType", "None")


def bounds(metadata: list[Any]) -> str:
    found = []
    for item in metadata:
        for kind, attribute, template in _BOUNDS:
            if isinstance(item, kind):
                found.append(template.format(getattr(item, attribute)))
    return ", ".join(found)


def shown(value: Any) -> str:
    return f"`{value!r}`"  # pipes inside a code span do not split a table cell


def pydantic_rows(model: type[BaseModel]) -> list[tuple[str, str, str, str]]:
    rows = []
    for name, field in model.model_fields.items():
        if field.is_required():
            default = "required"
        elif field.default_factory is not None:
            default = shown(field.get_default(call_default_factory=True))
        else:
            default = shown(field.default if field.default is not PydanticUndefined else None)
        rows.append((name, type_name(field.annotation), default, bounds(field.metadata)))
    return rows


def attrs_rows(cls: type) -> list[tuple[str, str, str, str]]:
    rows = []
    for field in attr.fields(cls):
        default = "required" if field.default is attr.NOTHING else shown(field.default)
        rows.append((field.name, type_name(field.type), default, ""))
    return rows


def settings_table(dotted: str) -> str:
    cls = load(dotted)
    if isinstance(cls, type) and issubclass(cls, BaseModel):
        rows = pydantic_rows(cls)
    elif attr.has(cls):
        rows = attrs_rows(cls)
    else:
        raise TypeError(f"{dotted} is neither a pydantic model nor an attrs class")
    lines = [
        f"`{cls.__name__}` (`{cls.__module__}`), generated from the code:",
        "",
        "| field | type | default | bounds |",
        "| --- | --- | --- | --- |",
    ]
    lines += [
        f"| `{name}` | `{kind}` | {default} | {limit} |" for name, kind, default, limit in rows
    ]
    return "\n".join(lines)


def airflow_config_table() -> str:
    info = load("llm_lineage.get_provider_info.get_provider_info")()
    lines = ["| section | option | default | meaning |", "| --- | --- | --- | --- |"]
    for section, spec in info["config"].items():
        for option, detail in spec["options"].items():
            meaning = detail["description"].replace("|", "\\|")
            default = shown(detail.get("default", ""))
            lines.append(f"| `[{section}]` | `{option}` | {default} | {meaning} |")
    return "\n".join(lines)


def render(markdown: str) -> str:
    """The page with every marker replaced by its generated table."""
    markdown = MARKER.sub(lambda match: settings_table(match.group(1)), markdown)
    if AIRFLOW_CONFIG in markdown:
        markdown = markdown.replace(AIRFLOW_CONFIG, airflow_config_table())
    return markdown


def on_page_markdown(markdown: str, **_: Any) -> str:
    """MkDocs' ``page_markdown`` event."""
    return render(markdown)
