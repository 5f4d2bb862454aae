"""What storage needs of a path: the part of ``ObjectStoragePath``'s API it uses.

Airflow's ``ObjectStoragePath`` (universal_pathlib over fsspec) satisfies it, so the hooks
pass theirs; storage never imports Airflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, Self


class StoragePath(Protocol):
    """A local or object-store path: fsspec's file system and the path it reads."""

    @property
    def fs(self) -> Any: ...

    @property
    def path(self) -> str: ...

    @property
    def protocol(self) -> str: ...

    @property
    def name(self) -> str: ...

    def __truediv__(self, key: str) -> Self: ...

    def exists(self) -> bool: ...

    def is_dir(self) -> bool: ...

    def is_file(self) -> bool: ...

    def iterdir(self) -> Iterator[Self]: ...


def is_local(path: StoragePath) -> bool:
    """A path on this machine's file system (``file://`` or no protocol)."""
    return path.protocol in ("file", "local", "")
