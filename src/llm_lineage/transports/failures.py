"""What a transport's error means for the event it could not send: refused, transient or suspect.

* **refused**: the backend answered 400, 413 or 422; resending cannot help.
* **transient**: no connection, a timeout, any other HTTP status (5xx, 429, 401 while a token is
  being fixed), or an ``OSError`` anywhere in the exception's chain (``requests`` errors are
  ``OSError`` too). The event waits for the next try.
* **suspect**: anything else (a transport that cannot convert the event, a serialiser that
  gives up on it). Deterministic errors repeat: the forwarder tries a suspect event once more at
  once, and an event refused twice the same way is a poison event for that transport.

An exception may say for itself with a ``transient`` attribute (``True``/``False``), as the
DataHub transport's errors do.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum

#: HTTP statuses that mean "this event will never be accepted": resending cannot help.
REFUSED = frozenset({400, 413, 422})


class Verdict(Enum):
    REFUSED = "refused"
    TRANSIENT = "transient"
    SUSPECT = "suspect"


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def refused_status(error: BaseException) -> tuple[int | None, str]:
    """The HTTP status and body behind ``error`` (also through a composite's wrapping)."""
    for seen in _chain(error):
        response = getattr(seen, "response", None)
        status = getattr(response, "status_code", None)
        if isinstance(status, int):
            return status, str(getattr(response, "text", "") or "")
    return None, ""


def judge(error: BaseException) -> Verdict:
    """Refused, transient or suspect (see the module's description)."""
    status, _ = refused_status(error)
    if status is not None:
        return Verdict.REFUSED if status in REFUSED else Verdict.TRANSIENT
    for seen in _chain(error):
        said = getattr(seen, "transient", None)
        if isinstance(said, bool):
            return Verdict.TRANSIENT if said else Verdict.SUSPECT
        if isinstance(seen, OSError):
            return Verdict.TRANSIENT
    return Verdict.SUSPECT
