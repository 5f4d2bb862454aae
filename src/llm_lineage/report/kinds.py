"""What a dataset is, by the one rule of ``events/kinds.py``, read from the report's facets.

The report's facets may still be JSON text (``msgspec.Raw``, see ``facets.py``): a facet is
present when ``custom`` parses it into a non-empty object. The labels are ``events.kinds``'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from llm_lineage.events import keys
from llm_lineage.events.kinds import kind
from llm_lineage.report.facets import custom, text


def kind_of(facets: Mapping[str, Any], name: str) -> str:
    return kind(lambda facet: bool(custom(facets, facet)), text(facets, *keys.SUB_TYPE.keys), name)
