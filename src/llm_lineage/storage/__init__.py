"""Publishing a step's output as one unit, without Airflow: owners, locks, staging, the swap.

One job per module: ``owner.py`` (who holds a lock or a staging folder, and whether that
process still lives), ``locks.py`` (the lock file or object and ``DestinationLock``),
``heartbeat.py`` (refreshing both while a run works), ``staging.py`` (the private staging
folder and the sweep of those killed runs left), ``swap.py`` (the ``renameat2`` exchange, or
the files one by one), ``run_ids.py`` (the run id in Parquet footers and the readers' check)
and ``publication.py``, which holds them together for one publish. Paths are anything that
behaves like ``ObjectStoragePath`` (``paths.py``); the hooks add what needs Airflow: the task
instance that owns a run, connections, and Airflow's secrets masked in footers.
"""
