"""The one Jinja2 set-up of every page this provider renders (the Lineage tab, the HTML report).

Titles, authors, paths, error messages and step parameters come from documents and DAG authors,
so every template autoescapes and nothing is marked safe. Every page gets the same filters, the
units of ``units.py`` under their own names, and the ``records`` and ``mapping`` globals through
which a template iterates a document's lists and objects whatever they hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jinja2

from llm_lineage.events import units
from llm_lineage.events.values import mapping, records

FILTERS: Mapping[str, Any] = {
    "count": units.count,
    "size": units.size,
    "seconds": units.seconds,
    "money": units.money,
    "amount": units.amount,
    "short": units.short,
    "number": units.number,
    "size_exact": units.size_exact,
    "duration": units.duration,
    "cut": units.cut,
    "listed": units.listed,
    "json": units.as_json,
}


def environment(package: str, strict: bool = False) -> jinja2.Environment:
    """Templates from ``package``'s ``templates`` folder, autoescaped. ``strict``: a missing
    value is an error (the report builds its context itself); otherwise it reads as empty
    (the Lineage tab renders stored documents of any shape)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader(package, "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(records=records, mapping=mapping)
    return env
