"""Cluster policy of the multi-worker test: which Celery queue (one per worker) each task uses.

``tests/celery_airflow.py`` copies this file into the test's ``$AIRFLOW_HOME/config/`` as
``airflow_local_settings.py``, where Airflow's scheduler imports it, and calls
``task_instance_mutation_hook`` on every task instance it creates, mapped ones included. Left to
Celery, where a task lands is chance; routed here, consecutive steps land on different workers
in every run, so a step that leaves its output on its worker's disk fails its successor.

``LLM_LINEAGE_TEST_QUEUES`` lists the queues (``worker-a,worker-b``), ``LLM_LINEAGE_TEST_ROUTES``
maps ``{dag_id: {task_id: offset}}``: a task instance goes to queue
``(offset + map_index) % len(queues)``, so mapped instances alternate. Other tasks keep
their own queue.
"""

from __future__ import annotations

import json
import os
from typing import Any


def task_instance_mutation_hook(task_instance: Any, dag_run: Any = None) -> None:
    queues = [q for q in os.environ.get("LLM_LINEAGE_TEST_QUEUES", "").split(",") if q]
    routes = json.loads(os.environ.get("LLM_LINEAGE_TEST_ROUTES") or "{}")
    offset = routes.get(task_instance.dag_id, {}).get(task_instance.task_id)
    if offset is None or not queues:
        return
    index = max(task_instance.map_index if task_instance.map_index is not None else -1, 0)
    task_instance.queue = queues[(offset + index) % len(queues)]
