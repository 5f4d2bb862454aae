"""HTML pages from templates, with every value escaped, and the headers that confine them.

Titles, authors, paths, error messages and step parameters come from documents and DAG
authors, so the pages treat every value as text: Jinja2 autoescaping is on for every template
(``events/templating.py``, the set-up the HTML report shares) and nothing is marked safe. The pages need no script, font or image, so the Content-Security-
Policy allows none (only inline styles), and lets only Airflow's own pages frame them.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2
from starlette.responses import HTMLResponse

from llm_lineage.events import templating

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


@cache
def environment() -> jinja2.Environment:
    """The pages' templates, set up as every page of ours is (``events/templating.py``)."""
    return templating.environment("llm_lineage.plugins")


def page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    html = environment().get_template(template).render(**context)
    return HTMLResponse(html, status_code=status_code, headers=HEADERS)
