"""Reading a model card as a hub does: YAML front matter, then the Markdown body."""

from __future__ import annotations

from typing import Any

import yaml


def split_card(text: str) -> tuple[dict[str, Any], str]:
    """The front matter (parsed with ``yaml.safe_load``) and the body of a model card."""
    assert text.startswith("---\n"), text[:200]
    _, matter, body = text.split("---\n", 2)
    loaded = yaml.safe_load(matter)
    assert isinstance(loaded, dict), matter
    return loaded, body
