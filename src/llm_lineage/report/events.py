"""Run events as the report folds them, and the fast way to read them from JSON.

Parsing every field of every event into dicts costs more than all the rest of the report: an
event is mostly facets, and the report reads a few of them. So a line is decoded by msgspec
into these structs, which hold only what the fold needs (the event's type, time, run, job,
producer and datasets) and keep every facet as ``msgspec.Raw``: the bytes of its JSON, not
parsed. ``facets.py`` parses a facet when a reader asks for it, so only facets some answer reads
are ever parsed, and an unknown facet costs a key and a slice.

The structs are strict: a line they do not fit (a missing run, a dataset without a name, a
number where a string belongs, an array of events, invalid JSON) fails ``decode`` and is read
again the slow way, with ``json`` and the lenient checks in ``runs.py``, which count what they
skip. Events from Marquez and from that slow path are built into the same structs with facets
already parsed; readers take either form.
"""

from __future__ import annotations

import msgspec

#: A facets object: name to facet, each facet ``msgspec.Raw`` (fast path) or parsed JSON.
Facets = dict[str, msgspec.Raw]


class Dataset(msgspec.Struct, gc=False):
    """One input or output as an event names it."""

    namespace: str
    name: str
    facets: Facets | None = None
    inputFacets: Facets | None = None
    outputFacets: Facets | None = None


class RunRef(msgspec.Struct, gc=False):
    runId: str
    facets: Facets | None = None


class JobRef(msgspec.Struct, gc=False):
    namespace: str
    name: str


class Event(msgspec.Struct, gc=False):
    """A run event. ``gc=False``: these hold no cycles, and the collector need not walk the
    hundreds of thousands a large file makes."""

    eventTime: str
    run: RunRef
    job: JobRef
    eventType: str = "OTHER"
    producer: str | None = None
    inputs: list[Dataset] = []
    outputs: list[Dataset] = []


_DECODER = msgspec.json.Decoder(Event)


def decode(line: bytes) -> Event:
    """One JSON line as an ``Event``; raises ``msgspec.DecodeError`` (or ``ValidationError``,
    a subclass) for anything else, which the caller reads the slow way."""
    return _DECODER.decode(line)
