"""Reading facets defensively: a missing, mistyped or unknown facet is a gap, never a crash.

Events may come from older or newer versions of this provider, or be hand-edited. Every value
the report uses is read through these helpers, which return None (or an empty value) for
anything not of the expected type. ``screen`` drops ``llmLineage_*`` facets the report does not
know (a name it has no reader for, or a schema major version other than 1) and counts them.

A facet read from a file is ``msgspec.Raw`` until something reads it (see ``events.py``): ``at``
parses it then and puts the result in its place, so a reader sees the same dicts whichever way
the event came in, and a facet read twice (cost reads every run's usage for every row it is in)
is parsed once. ``version_of``, read for every dataset of every event, parses only the version.
A facet is cleaned as it is parsed (``ranges.clean``): a number out of range, or a value nested
too deep, reads as missing and is counted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import msgspec

from llm_lineage.events import keys
from llm_lineage.report.ranges import clean, out_of_range
from llm_lineage.report.tally import Tally

_Raw = msgspec.Raw
_decode = msgspec.json.decode

PREFIX = keys.PREFIX
#: The custom facets this report reads (every one of ours), by name after the prefix.
KNOWN = frozenset(facet.name for facet in keys.CUSTOM)


def screen(facets: Any, tally: Tally) -> dict[str, Any]:
    """The facets dict without unknown or malformed llmLineage facets (each one counted)."""
    kept, dropped = screened(facets)
    tally.unknown_facets += dropped
    return kept


def screened(facets: Any) -> tuple[dict[str, Any], int]:
    """``screen``'s dict and how many facets it dropped, for a caller that counts them later."""
    if not isinstance(facets, dict):
        return {}, 0
    if PREFIX not in " ".join(facets):  # the common case, checked at C speed
        return facets, 0
    kept = {
        key: value
        for key, value in facets.items()
        if not key.startswith(PREFIX) or _known(key, value)
    }
    return kept, len(facets) - len(kept)


class _Envelope(msgspec.Struct):
    """What ``_known`` reads of a facet still in JSON: its schema URL, nothing else parsed."""

    url: Any = msgspec.field(default=None, name="_schemaURL")


_ENVELOPE = msgspec.json.Decoder(_Envelope)


def _known(key: str, value: Any) -> bool:
    if key[len(PREFIX) :] not in KNOWN:
        return False
    if type(value) is _Raw:
        try:
            url = _ENVELOPE.decode(value).url
        except msgspec.DecodeError:  # not an object: malformed (or JSON only ``json`` reads)
            return isinstance(value := _json(value), dict) and _schema_ok(value.get("_schemaURL"))
        return _schema_ok(url)
    return isinstance(value, dict) and _schema_ok(value.get("_schemaURL"))


def _schema_ok(url: Any) -> bool:
    return not isinstance(url, str) or "/facets/1-" in url


def parsed(value: Any) -> Any:
    """A facet as parsed JSON: ``msgspec.Raw`` parsed and cleaned, anything else as it is. A Raw
    the fast parser refuses (a lone surrogate escape, ``1e999``) is parsed by ``json``, as the
    slow path would."""
    if type(value) is not _Raw:
        return value
    return clean(_json(value))


def _json(value: _Raw) -> Any:
    """A Raw parsed, None when it does not parse (it came from a line that did, so only a
    mismatch between the two parsers gets here)."""
    try:
        try:
            return _decode(value)
        except msgspec.DecodeError:
            return json.loads(bytes(value))
    except (ValueError, RecursionError):
        return None


def mapping(value: Any) -> Mapping[str, Any]:
    value = parsed(value)
    return value if isinstance(value, dict) else {}


def at(data: Any, *path: str) -> Any:
    """The value at ``path`` in nested dicts, or None. A facet still in JSON is parsed on the
    way and stored parsed in its dict (the same value, so no reader can tell)."""
    if type(data) is _Raw:
        data = parsed(data)
    for key in path:
        if not isinstance(data, dict):
            return None
        value = data.get(key)
        if type(value) is _Raw:
            value = data[key] = parsed(value)
        data = value
    return data


def text(data: Any, *path: str) -> str | None:
    return as_text(at(data, *path))


def integer(data: Any, *path: str) -> int | None:
    return as_integer(at(data, *path))


def number(data: Any, *path: str) -> float | None:
    return as_number(at(data, *path))


def as_text(value: Any) -> str | None:
    """A value already in hand (from a parsed facet) as ``text`` would read it."""
    return value if isinstance(value, str) else None


def as_integer(value: Any) -> int | None:
    if not isinstance(value, int) or isinstance(value, bool) or out_of_range(value):
        return None
    return value


def as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or out_of_range(value):
        return None
    return float(value)


def items(data: Any, *path: str) -> list[dict[str, Any]]:
    """The dicts in a list at ``path`` (anything else in it is ignored)."""
    value = at(data, *path)
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def custom(facets: Any, facet: keys.Facet) -> Mapping[str, Any]:
    """One of our facets (``keys.COLLECTION``), or an empty mapping."""
    value = at(facets, facet.key)
    return value if isinstance(value, dict) else {}


class _Version(msgspec.Struct):
    """The one field ``version_of`` reads of a version facet still in JSON."""

    datasetVersion: Any = None


_VERSION = msgspec.json.Decoder(_Version)


def version_of(facets: Any) -> str | None:
    """The dataset's version: the standard ``version`` facet's ``datasetVersion``. A facet in
    JSON is read for that field alone and left as it is, for the readers that want the rest."""
    value = facets.get(keys.VERSION.key) if isinstance(facets, dict) else None
    if type(value) is _Raw:
        try:
            found = _VERSION.decode(value).datasetVersion
        except msgspec.DecodeError:  # not an object, or JSON only ``json`` reads
            found = at(parsed(value), "datasetVersion")
        return found if isinstance(found, str) else None
    return text(facets, *keys.DATASET_VERSION.keys)
