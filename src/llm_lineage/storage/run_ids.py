"""The run id in each Parquet footer of a unit, and the readers' check that one run wrote it.

Object stores have no multi-object atomicity, and a local publish without ``renameat2`` renames
file by file: ``check_one_run`` is how a reader tells a mixed unit (an upload in progress or
interrupted) from a whole one.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.parquet as pq

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.storage.locks import lock_file
from llm_lineage.storage.owner import describe
from llm_lineage.storage.paths import StoragePath

#: Parquet footer key: the run that wrote the file. Files of one unit carry the same value.
RUN_ID_KEY = "llm_lineage.run_id"


class MixedOutput(LlmLineageError, ValueError):
    """Files of one unit carry different run ids: a publish is in progress or was interrupted."""


def footer_run_id(path: StoragePath) -> str | None:
    """The run id in a Parquet file's footer; None for files from before run ids, or not ours."""
    try:
        with path.fs.open(path.path, "rb") as handle:
            metadata = pq.ParquetFile(handle).metadata.metadata or {}
    except (pa.ArrowInvalid, OSError):
        return None
    value = metadata.get(RUN_ID_KEY.encode())
    return value.decode() if value else None


def check_one_run(folder: StoragePath, uri: str, names: Sequence[str]) -> None:
    """Raise MixedOutput when the named Parquet files in ``folder`` (named ``uri``) carry
    different run ids."""
    runs = {}
    for name in names:
        path = folder / name
        if path.is_file() and (run := footer_run_id(path)):
            runs[name] = run
    if len(set(runs.values())) <= 1:
        return
    files = " and ".join(f"{name} (run {run})" for name, run in runs.items())
    seen = lock_file(folder, uri).read()
    if seen is not None:
        why = f"{describe(seen.owner)} is publishing into it now; retry when it ends"
    else:
        why = "a publish was interrupted or files were copied in; rerun the step that writes it"
    raise MixedOutput(f"{files} in {uri} were written by different runs: {why}")
