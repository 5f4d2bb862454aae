"""``llm_lineage.storage`` on its own: no Airflow, paths from universal_pathlib.

The hooks pass Airflow's ``ObjectStoragePath``; anything with its API works (``StoragePath``):
here ``upath.UPath`` on local disk (the ``renameat2`` swap) and on fsspec's memory file system
(the ordered upload), in a process where ``airflow`` cannot be imported.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import sys, uuid
    import pyarrow as pa, pyarrow.parquet as pq
    from upath import UPath

    class NoAirflow:
        def find_spec(self, name, path=None, target=None):
            if name == "airflow" or name.startswith("airflow."):
                raise ImportError(name)
            return None

    sys.meta_path.insert(0, NoAirflow())
    from llm_lineage.storage.publication import publication
    from llm_lineage.storage.run_ids import check_one_run, footer_run_id
    from llm_lineage.storage.locks import LOCK_NAME
    import llm_lineage.storage.locks as locks
    locks.READ_BACK_DELAY = 0.0

    def publish(destination, uri):
        with publication(destination, uri, ("a.parquet", "b.parquet"), label="a script") as unit:
            for name in ("a.parquet", "b.parquet"):
                table = pa.table({"x": [1, 2]}).replace_schema_metadata(unit.stamp({"k": "v"}))
                pq.write_table(table, unit.output / name)
            unit.publish(last="a.parquet")
            return unit.run_id

    local = UPath(sys.argv[1]) / "out"
    run = publish(local, local.as_uri())
    assert sorted(p.name for p in local.iterdir()) == ["a.parquet", "b.parquet"], list(local.iterdir())
    assert footer_run_id(local / "b.parquet") == run
    check_one_run(local, local.as_uri(), ("a.parquet", "b.parquet"))

    bucket = UPath(f"memory://bucket-{uuid.uuid4().hex[:8]}/out")
    run = publish(bucket, str(bucket))
    assert sorted(p.name for p in bucket.iterdir()) == ["a.parquet", "b.parquet"]
    assert footer_run_id(bucket / "a.parquet") == run
    assert not (bucket / LOCK_NAME).exists()
    print("published", sorted(m for m in sys.modules if m.startswith("airflow")))
    """
)


def test_storage_publishes_a_unit_without_airflow(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "published []"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging folder left
