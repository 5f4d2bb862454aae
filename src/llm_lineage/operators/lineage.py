"""The one conversion from the lineage layer's StepLineage to the provider's OperatorLineage.

Every operator's START, COMPLETE and FAIL lineage passes here, so this is where the event bounds
(``lineage.bounds``) apply: once, to everything an operator reports.
"""

from __future__ import annotations

from airflow.providers.openlineage.extractors import OperatorLineage

from llm_lineage.lineage.bounds import bounded
from llm_lineage.lineage.common import StepLineage


def operator_lineage(lineage: StepLineage) -> OperatorLineage:
    safe = bounded(lineage)
    return OperatorLineage(
        inputs=list(safe.inputs),
        outputs=list(safe.outputs),
        run_facets=dict(safe.run_facets),
        job_facets=dict(safe.job_facets),
    )
