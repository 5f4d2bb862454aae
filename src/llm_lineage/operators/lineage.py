"""The one conversion from the lineage layer's StepLineage to the provider's OperatorLineage."""

from __future__ import annotations

from airflow.providers.openlineage.extractors import OperatorLineage

from llm_lineage.lineage.common import StepLineage


def operator_lineage(lineage: StepLineage) -> OperatorLineage:
    return OperatorLineage(
        inputs=list(lineage.inputs),
        outputs=list(lineage.outputs),
        run_facets=dict(lineage.run_facets),
        job_facets=dict(lineage.job_facets),
    )
