"""Where an export's lineage comes from: the one call into the report's readers.

Kept to one function so that the exports read events exactly as the report does, and follow
it wherever the report's reading moves.
"""

from __future__ import annotations

from llm_lineage.common.errors import ConfigError
from llm_lineage.report.graph import Lineage


def read_lineage(
    events: str | None, marquez: str | None, timeout: float = 30.0, max_time: float = 600.0
) -> Lineage:
    """The lineage from an events file, folder or spool (``events``) or a Marquez URL.

    Raises the report's ``EventsNotFound`` or ``MarquezError`` as it does.
    """
    from llm_lineage.report.load import from_events, from_marquez

    if events:
        return from_events(events)
    if not marquez:
        raise ConfigError("either events or marquez is needed")
    return from_marquez(marquez, timeout, max_time)
