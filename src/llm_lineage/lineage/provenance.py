"""What every step adds to its lineage about the code and environment it ran: one function.

``with_provenance`` is the one call a step makes (``StepOperator`` makes it for every operator,
so a new step gets it by subclassing): it adds the standard ``sourceCodeLocation`` job facet
(when the code's commit is known), the ``llmLineage_environment`` run facet, and the standard
``environmentVariables`` run facet (the allow-listed variables, as ``lineage/secrets.py`` lets
them be reported) unless the step's builder already set one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from openlineage.client.facet_v2 import environment_variables_run

from llm_lineage.facets import facet_key
from llm_lineage.lineage.code_location import CodeLocation, source_code_location_facet
from llm_lineage.lineage.environment import environment_facet
from llm_lineage.lineage.standard_facets import StepLineage


@dataclass(frozen=True)
class StepProvenance:
    """The code and environment facts of one step's run."""

    code: CodeLocation | None = None
    libraries: tuple[str, ...] = ()
    """Distribution names of the libraries the step used."""
    environment: tuple[tuple[str, str], ...] = ()
    """Allow-listed environment variables, already passed through ``reportable_environment``."""


def with_provenance(lineage: StepLineage, provenance: StepProvenance) -> StepLineage:
    """``lineage`` with the code location, environment and environment variables facets."""
    code = provenance.code
    if code is not None:
        lineage.job_facets["sourceCodeLocation"] = source_code_location_facet(code)
    lineage.run_facets[facet_key("environment")] = environment_facet(
        provenance.libraries, code.state() if code else None
    )
    if provenance.environment and "environmentVariables" not in lineage.run_facets:
        lineage.run_facets["environmentVariables"] = environment_variables_facet(
            provenance.environment
        )
    return lineage


def environment_variables_facet(
    variables: Iterable[tuple[str, str]],
) -> environment_variables_run.EnvironmentVariablesRunFacet:
    return environment_variables_run.EnvironmentVariablesRunFacet(
        environmentVariables=[
            environment_variables_run.EnvironmentVariable(name=name, value=value)
            for name, value in variables
        ]
    )
