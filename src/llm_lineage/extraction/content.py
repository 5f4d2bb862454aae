"""What of a text or manifest row its dataset's version covers (no pyarrow: readers use it)."""

from __future__ import annotations

from typing import Any

#: Where a document sat: recorded in every row, never part of a dataset's version.
LOCATION_COLUMNS = ("source_uri",)


def content_of(row: dict[str, Any]) -> dict[str, Any]:
    """The part of a text or manifest row that a dataset version covers.

    A version must change when the documents change and only then: copying the corpus to
    another folder changes ``source_uri``, and a ``touch`` or a clone changes the file times
    that stand in for ``created``/``modified`` when a document carries no dates of its own.
    Those are recorded in the row, but left out here; dates read from inside a document stay.
    """
    view = {key: value for key, value in row.items() if key not in LOCATION_COLUMNS}
    for column in ("created", "modified"):
        if view.get(f"{column}_source") == "filesystem":
            view[column] = None
    return view
