"""Which OpenLineage transport types exist here, and a configuration's types checked against them.

openlineage-python finds a transport by its ``type``: a name it registered (``http``,
``file``, ...) or a dotted path to a ``Transport`` class. A typo there is only an
``ImportError: Failed to import htp`` (and, on Airflow, a task that succeeds with no lineage
sent); ``transport_type_problem`` names the wrong type, the closest known one and all of them.
Composite transports and our spool (which wraps one) are checked all the way down.

Nothing is created: the check imports a dotted path's module to find its class, as the
factory would, and builds no transport, so it has no side effect (no folder, no connection).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
from collections.abc import Iterator, Mapping
from typing import Any

from openlineage.client.transport import get_default_factory
from openlineage.client.transport.transport import Transport

from llm_lineage.common.errors import LlmLineageError

#: The transports this provider ships, by the dotted path a configuration names them with.
OUR_TRANSPORTS = (
    "llm_lineage.transports.spool.SpoolTransport",
    "llm_lineage.transports.datahub.DataHubTransport",
)


class UnknownTransportType(LlmLineageError, ValueError):
    """A transport configuration names a type that is neither registered nor importable."""


def known_types() -> list[str]:
    """openlineage-python's registered types, then ours (their dotted paths)."""
    return [*sorted(get_default_factory().transports), *OUR_TRANSPORTS]


def _is_transport_class(dotted: str) -> bool:
    module_name, _, class_name = dotted.rpartition(".")
    if not module_name:
        return False
    try:
        found = getattr(importlib.import_module(module_name), class_name, None)
    except Exception:  # any import failure means the type cannot be created
        return False
    return inspect.isclass(found) and issubclass(found, Transport)


def _children(config: Mapping[str, Any]) -> Iterator[Any]:
    """The transports a composite or a spool wraps."""
    if config.get("type") == "composite":
        children = config.get("transports")
        yield from children.values() if isinstance(children, Mapping) else children or []
    elif config.get("type") == OUR_TRANSPORTS[0] and isinstance(config.get("transport"), Mapping):
        yield config["transport"]


def _type_problem(kind: Any) -> str | None:
    if isinstance(kind, str) and (
        kind in get_default_factory().transports or _is_transport_class(kind)
    ):
        return None
    known = known_types()
    if not isinstance(kind, str) or not kind:
        return f"a transport needs a 'type'; known types: {', '.join(known)}"
    close = difflib.get_close_matches(kind, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return f"unknown transport type {kind!r}{hint}; known types: {', '.join(known)}"


def transport_type_problem(config: Any) -> str | None:
    """What is wrong with the types of a transport configuration (a dict), or None."""
    if not isinstance(config, Mapping):
        return f"a transport configuration is a JSON object, not {type(config).__name__}"
    problem = _type_problem(config.get("type"))
    if problem:
        return problem
    for child in _children(config):
        problem = transport_type_problem(child)
        if problem:
            return problem
    return None


def check_transport_types(config: Any) -> None:
    """Raise ``UnknownTransportType`` when ``transport_type_problem`` finds something."""
    problem = transport_type_problem(config)
    if problem:
        raise UnknownTransportType(problem)
