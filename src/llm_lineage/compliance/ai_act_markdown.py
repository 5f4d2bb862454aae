"""The AI Act summary (``ai_act.summary``) as Markdown: the template's headings in order, one
line per field, lists as nested items; values the provider must complete stand out as
``[To be completed by the provider]``."""

from __future__ import annotations

from typing import Any


def markdown(summary: dict[str, Any]) -> str:
    adapter = summary["adapter"]
    lines = [
        "# Public summary of training content (EU AI Act, Article 53(1)(d))",
        "",
        f"Template: {summary['template']}.",
        f"Adapter: `{adapter['uri']}`, version `{adapter['version']}`.",
        f"Scope: {summary['scope']}",
        f"Generated: {summary['generated']} by {summary['generator']['name']} "
        f"{summary['generator']['version']}, from its lineage. Fields marked "
        "[To be completed by the provider] are not known to the lineage.",
    ]
    for section in summary["sections"]:
        depth = "##" if "." not in section["number"] else "###"
        lines += ["", f"{depth} {section['number']} {section['title']}"]
        if section["fields"]:
            lines.append("")
        for item in section["fields"]:
            lines.extend(_field(item))
    return "\n".join(lines) + "\n"


def _field(item: dict[str, Any]) -> list[str]:
    value = item["value"]
    if not isinstance(value, list):
        return [f"- **{item['field']}**: {_scalar(value)}"]
    lines = [f"- **{item['field']}**:"]
    for entry in value:
        lines.append(f"  - {_scalar(entry)}")
    return lines


def _scalar(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_scalar(v)}" for key, v in value.items())
    return str(value)
