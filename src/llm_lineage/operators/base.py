"""StepOperator: what the extraction, tokenization and LoRA operators share.

Each operator builds its step's plan from its rendered fields, hands it to its hook, and reports
START, COMPLETE and FAIL lineage from the plan, the run or the partial result. Only the step's
lineage (``_lineage``), its hook (``_make_hook``) and its return value differ; the rest is here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Protocol, TypeVar, cast

from airflow.providers.openlineage.extractors import OperatorLineage

from llm_lineage.hooks.code_location import current_code_location
from llm_lineage.lineage.environment import installed
from llm_lineage.lineage.provenance import StepProvenance, with_provenance
from llm_lineage.lineage.secrets import allowed_environment
from llm_lineage.lineage.standard_facets import SourceInfo, StepLineage
from llm_lineage.operators.emission import operator_lineage, push_lineage

if TYPE_CHECKING:
    from airflow.sdk import Context

HookT = TypeVar("HookT")
RunT = TypeVar("RunT")


class _Failed(Protocol):
    """A step's ``*Failed`` exception: it carries what the run got through."""

    result: Any


class StepOperator(Generic[HookT, RunT]):
    """Mixin for the step operators, before ``BaseOperator`` in their bases.

    Subclasses set ``step_failure`` (the step's ``*Failed``), ``_run`` and ``_partial`` (None in
    ``__init__``), and define ``_make_hook`` and ``_lineage``.
    """

    #: The exception that stops the step with a partial result in ``.result``.
    step_failure: ClassVar[type[Exception]]
    #: Distributions whose versions the step's ``llmLineage_environment`` facet lists (the
    #: hook's ``step_libraries``).
    step_libraries: ClassVar[tuple[str, ...]] = ("pyarrow",)
    #: Allow-listed environment variables to report (checked at parse time).
    environment_variables: tuple[str, ...] = ()
    task_id: str
    _run: RunT | None
    _partial: Any

    @property
    def _task_label(self) -> str:
        """``<Operator>(task_id='...')``: how parameter errors name this task."""
        return f"{type(self).__name__}(task_id={self.task_id!r})"

    @cached_property
    def _hook(self) -> HookT:
        """The hook, built on first use and kept: it holds only connection ids (not templated).

        Kept as ``_hook``, a name that the OpenLineage provider's full task info
        (``include_full_task_info``) leaves out, so the events stay the same.
        """
        return self._make_hook()

    @property
    def hook(self) -> HookT:
        """This task's hook; its lineage reporting is off (the operator reports richer lineage)."""
        return self._hook

    def _make_hook(self) -> HookT:
        raise NotImplementedError

    def _lineage(self, run: RunT | None, failed: bool) -> StepLineage:
        """The step's lineage: from ``run`` when it finished, else from the plan.

        ``failed`` adds what the run got through (``_partial``, the inputs it resolved).
        """
        raise NotImplementedError

    def _run_step(
        self,
        context: Context,
        work: Callable[[], RunT],
        inputs: Sequence[SourceInfo] | None = None,
    ) -> RunT:
        """Run the hook's work, keep the run (or the partial result), push the lineage document.

        ``inputs`` are the footers read before the work; the document lists their provenance.
        The code location and the installed distributions are read here first, once, so that
        the COMPLETE or FAIL event, built in a process forked from this one, finds them cached.
        """
        current_code_location(self)
        installed()
        try:
            run = work()
        except self.step_failure as error:
            self._partial = cast(_Failed, error).result
            push_lineage(self, context, failed=True, inputs=inputs)
            raise
        self._run = run
        push_lineage(self, context, inputs=inputs)
        return run

    def _provenance(self) -> StepProvenance:
        """The code (DAG bundle version or git checkout) and environment of this task's run."""
        return StepProvenance(
            code=current_code_location(self),
            libraries=self.step_libraries,
            environment=allowed_environment(self.environment_variables),
        )

    def get_openlineage_facets_on_start(self) -> OperatorLineage:
        lineage = self._lineage(None, failed=False)
        return operator_lineage(with_provenance(lineage, self._provenance()))

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage:
        lineage = self._lineage(self._run, failed=False)
        return operator_lineage(with_provenance(lineage, self._provenance()))

    def get_openlineage_facets_on_failure(self, task_instance: Any) -> OperatorLineage:
        """What the run got through before it failed: the inputs, counts, errors; no output."""
        lineage = self._lineage(None, failed=True)
        return operator_lineage(with_provenance(lineage, self._provenance()))
