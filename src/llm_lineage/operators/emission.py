"""The one conversion from the lineage layer's StepLineage to the provider's OperatorLineage.

Every operator's START, COMPLETE and FAIL lineage passes here, so this is where the values Airflow
knows as secrets are masked in every facet (``known_secrets_masked``) and the event bounds
(``lineage.bounds``) apply: once, to everything an operator reports. The same lineage, redacted
as the OpenLineage provider redacts events, is what ``push_lineage`` stores in XCom for the
Airflow UI's Lineage tab (``lineage/document.py``).
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import attr
from airflow.providers.openlineage.extractors import OperatorLineage

from llm_lineage.hooks.compat import openlineage_redactor, secrets_masker
from llm_lineage.lineage.bounds import bounded
from llm_lineage.lineage.document import XCOM_KEY, lineage_document
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage

if TYPE_CHECKING:
    from airflow.sdk import Context

log = logging.getLogger(__name__)


def operator_lineage(lineage: StepLineage) -> OperatorLineage:
    safe = bounded(known_secrets_masked(lineage))
    return OperatorLineage(
        inputs=list(safe.inputs),
        outputs=list(safe.outputs),
        run_facets=dict(safe.run_facets),
        job_facets=dict(safe.job_facets),
    )


class ReportsLineage(Protocol):
    """An operator of this provider: it reports its COMPLETE and FAIL lineage."""

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage: ...

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage: ...


def push_lineage(
    operator: ReportsLineage,
    context: Context,
    *,
    failed: bool = False,
    inputs: Sequence[SourceInfo] | None = None,
) -> None:
    """Store the lineage ``operator`` reports (COMPLETE, or FAIL) in XCom under ``XCOM_KEY``.

    It is what the OpenLineage events carry, built by the same methods, plus what ``inputs``'
    footers say of the documents behind them (the tab's "Documents behind the inputs"). Never raises: the
    document serves the Lineage tab, while the task's outputs and its events are the record, so
    a document that cannot be built or stored is logged, not fatal, and on the failure path it
    never hides the error that failed the task.
    """
    try:
        ti = context["ti"]
        if failed:
            lineage = operator.get_openlineage_facets_on_failure(ti)
        else:
            lineage = operator.get_openlineage_facets_on_complete(ti)
        provenance = [info.provenance for info in inputs or () if info.provenance is not None]
        document = lineage_document(as_sent(lineage), failed=failed, provenance=provenance)
        ti.xcom_push(key=XCOM_KEY, value=document)
    except Exception:
        log.warning("Could not store this task's lineage in XCom %r", XCOM_KEY, exc_info=True)


def known_secrets_masked(lineage: StepLineage) -> StepLineage:
    """A copy of ``lineage`` with every string Airflow knows as secret masked, by value only.

    The OpenLineage provider's redactor masks such values in events, but not everywhere: it
    does not walk transformation-step parameters (``TransformationStep`` skips them, or its
    key rule would hide ``tokenizer``), nor a facet under a key its rule finds sensitive (any
    key containing ``token``, so ``llmLineage_tokenization`` and its ``tokenizer``), which it
    passes over whole. So every facet is masked here, value by value, with Airflow's masker
    (``redact`` without a name applies no key rule); the builders applied the provider's own
    key rules to parameters (``lineage/secrets.py``).
    """
    masker = secrets_masker()
    masked = copy.deepcopy(lineage)
    facets: list[Any] = [*masked.run_facets.values(), *masked.job_facets.values()]
    for dataset in [*masked.inputs, *masked.outputs]:
        for kind in ("facets", "inputFacets", "outputFacets"):
            facets.extend((getattr(dataset, kind, None) or {}).values())
    for facet in facets:
        _mask_fields(facet, masker)
    return masked


def _mask_fields(item: Any, masker: Any) -> None:
    """Mask the public fields of an attrs object in place (``_producer`` and the like kept)."""
    for field in attr.fields(type(item)):
        if not field.name.startswith("_"):
            setattr(item, field.name, _values_masked(getattr(item, field.name), masker))


def _values_masked(value: Any, masker: Any) -> Any:
    if isinstance(value, str):
        return masker.redact(value)
    if attr.has(type(value)):
        _mask_fields(value, masker)
        return value
    if isinstance(value, dict):
        return {key: _values_masked(item, masker) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_values_masked(item, masker) for item in value]
    return value


def as_sent(lineage: OperatorLineage) -> OperatorLineage:
    """``lineage`` redacted as the OpenLineage provider redacts every event before sending it.

    Values Airflow masks (connection passwords, sensitive Variables) and values under keys that
    look secret become ``***`` in the events; the stored document must not keep what they hide,
    since whoever may read XComs may read it. The redactor rewrites what it walks, so it gets a
    copy.
    """
    redactor = openlineage_redactor(secrets_masker())
    redacted: OperatorLineage = redactor.redact(copy.deepcopy(lineage), max_depth=20)
    return redacted
