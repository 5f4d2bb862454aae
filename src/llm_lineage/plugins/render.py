"""HTML pages from templates, with every value escaped, and the headers that confine them.

Titles, authors, paths, error messages and step parameters come from documents and DAG
authors, so the pages treat every value as text: Jinja2 autoescaping is on for every template
and nothing is marked safe. The pages need no script, font or image, so the Content-Security-
Policy allows none (only inline styles), and lets only Airflow's own pages frame them.
"""

from __future__ import annotations

import json
import math
from functools import cache
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from llm_lineage.plugins.facets import finite, mapping, records

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_UNITS = ("KiB", "MiB", "GiB", "TiB")


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def number(value: Any) -> str:
    """12,345 for counts, six significant digits for measures; anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float) and math.isfinite(value):
        return f"{value:,.1f}" if abs(value) >= 1e5 else f"{value:.6g}"
    return "" if value is None else str(value)


def size(value: Any) -> str:
    """Bytes, with the binary unit that reads best beside them."""
    scaled = finite(value)
    if scaled is None:
        return f"{number(value)} bytes" if _is_number(value) else number(value)
    unit = "bytes"
    for next_unit in _UNITS:
        if abs(scaled) < 1024:
            break
        scaled, unit = scaled / 1024, next_unit
    if unit == "bytes":
        return f"{number(value)} bytes"
    return f"{number(value)} bytes ({scaled:.1f} {unit})"


def seconds(value: Any) -> str:
    if finite(value) is None:
        return number(value)
    if value < 60:
        return f"{value:.3g} s"
    minutes, rest = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    return f"{minutes // 60} h {minutes % 60} min"


def short(value: Any, length: int = 16) -> str:
    shown = "" if value is None else str(value)
    return shown if len(shown) <= length else shown[:length] + "…"


def listed(value: Any) -> str:
    """A list's items, comma separated; a single value as it is; nothing for None."""
    if isinstance(value, list):
        return ", ".join(number(item) for item in value)
    return number(value)


def as_json(value: Any) -> str:
    """A parameter's value as JSON text, as the event holds it (escaped like any other text)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("llm_lineage.plugins", "templates"),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        number=number, size=size, seconds=seconds, short=short, json=as_json, listed=listed
    )
    # A document's lists and objects may hold anything: templates iterate through these.
    env.globals.update(records=records, mapping=mapping)
    return env


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)
