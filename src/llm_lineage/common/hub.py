"""What counts as a Hugging Face Hub id, for every step that loads from a folder or the hub."""

from __future__ import annotations

import re

#: "name" or "org/name"; a missing local path that looks like this is tried on the hub.
HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def looks_like_hub_id(text: str) -> bool:
    return bool(HUB_ID.match(text))


def hub_endpoint() -> str:
    """The hub's base URL (``HF_ENDPOINT`` when set): hub models are named under it."""
    from huggingface_hub import constants

    return str(constants.ENDPOINT).rstrip("/")
