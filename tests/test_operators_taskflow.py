"""``operators/taskflow.py`` and ``hooks/collector.py`` without a DAG run: what a hook records in
the hook lineage collector and what the extractor reads back (the runs are in
``test_taskflow_provenance_dag.py``)."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

from airflow.sdk.lineage import HookLineageCollector

from llm_lineage.hooks.collector import PROVENANCE_EXTRA, provenance_record
from llm_lineage.lineage.code_location import CodeLocation
from llm_lineage.operators.taskflow import TaskFlowExtractor, has_datasets, task_provenance

KEY = ["dag", "run", "extract", -1, 1]
CODE = CodeLocation(repo_url="https://example.com/org/flows.git", path="dags/a.py", version="ab")


def _collector(*records: tuple[object, dict[str, object]]) -> HookLineageCollector:
    collector = HookLineageCollector()
    for context, value in records:
        collector.add_extra(context=context, key=PROVENANCE_EXTRA, value=value)
    return collector


def test_only_the_records_of_this_task_instance_count() -> None:
    hook_a, hook_b, other = object(), object(), object()
    collector = _collector(
        (hook_a, {"task": KEY, "libraries": ["pyarrow", "pypdfium2"], "code": None}),
        (hook_b, {"task": KEY, "libraries": ["tokenizers"], "code": dataclasses.asdict(CODE)}),
        (other, {"task": ["dag", "run", "extract", -1, 2], "libraries": ["torch"], "code": None}),
    )
    collector.add_extra(context=other, key="sql_job", value={"task": KEY})
    provenance = task_provenance(collector.collected_assets, KEY)
    assert provenance is not None
    assert provenance.code == CODE
    assert provenance.libraries == ("pyarrow", "pypdfium2", "tokenizers")  # no retry's torch
    assert task_provenance(collector.collected_assets, ["dag", "run", "other", -1, 1]) is None


def test_datasets_are_what_the_provider_can_translate() -> None:
    collector = HookLineageCollector()
    assert not has_datasets(collector.collected_assets)
    collector.add_input_asset(context=object(), uri="file:///data/corpus")
    assert has_datasets(collector.collected_assets)


def test_no_record_outside_a_task() -> None:
    """A hook called from a script has no task event to describe."""
    assert provenance_record(["pyarrow"]) is None


def test_the_extractor_covers_the_taskflow_operators_only() -> None:
    names = TaskFlowExtractor.get_operator_classnames()
    assert "_PythonDecoratedOperator" in names
    assert "PythonOperator" not in names  # the provider's own PythonExtractor keeps it


def test_the_extractor_loads_nothing_heavy_into_every_task() -> None:
    """The provider imports each configured extractor in every task process, our hooks or not:
    pyarrow, numpy and the facets load only when a task's hooks recorded provenance."""
    script = (
        "import sys, airflow.providers.openlineage.extractors.manager\n"
        "before = set(sys.modules)\n"
        "import llm_lineage.operators.taskflow\n"
        "new = set(sys.modules) - before\n"
        "heavy = {'pyarrow', 'numpy', 'dulwich', 'llm_lineage.facets', 'llm_lineage.lineage'}\n"
        "print(sorted(heavy & {m.split('.')[0] if m.split('.')[0] != 'llm_lineage' "
        "else '.'.join(m.split('.')[:2]) for m in new}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.strip() == "[]", done.stdout
