"""The adapter folder's files: what lineage says they are, and who may read them.

No torch here, so the hook can describe the folder again after adding the model card.
"""

from __future__ import annotations

import stat
from pathlib import Path

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.training import ADAPTER_WEIGHTS
from llm_lineage.training.base_model import file_digest
from llm_lineage.training.model import AdapterOutput


class AdapterIncomplete(LlmLineageError, FileNotFoundError):
    """The saved adapter folder lacks its weights file."""


def adapter_output(folder: Path) -> AdapterOutput:
    """Every file's size and sha256; the weights' sha256 is the adapter's version."""
    files = tuple(file_digest(p) for p in sorted(folder.iterdir()) if p.is_file())
    weights = next((f for f in files if f.name == ADAPTER_WEIGHTS), None)
    if weights is None:
        raise AdapterIncomplete(f"no {ADAPTER_WEIGHTS} in {folder}")
    return AdapterOutput(files=files, content_hash=weights.sha256)


def match_file_modes(folder: Path, reference: str) -> None:
    """Give every file in ``folder`` the mode of ``reference``, a file written with ``open()``.

    safetensors 0.8 writes through a temporary file that it creates 0600 and renames into place,
    so the weights would be readable by their owner only while the config beside them follows
    the umask (0644 under 022), and whoever serves the adapter as another user cannot load it.
    The mode is taken from a file ``open()`` made rather than computed from the umask, because
    reading the umask means setting it, which races with other threads creating files.
    """
    mode = stat.S_IMODE((folder / reference).stat().st_mode)
    for path in folder.iterdir():
        if path.is_file() and stat.S_IMODE(path.stat().st_mode) != mode:
            path.chmod(mode)
