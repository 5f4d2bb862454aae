"""Where a step ran: Python, the OS, the accelerator, its libraries, and the whole environment's
fingerprint, so that two runs with the same fingerprint are known to have run on the same
installed distributions."""

from __future__ import annotations

import attr
from openlineage.client.generated.base import RunFacet
from openlineage.client.utils import RedactMixin

from llm_lineage.facets.base import ProducedHere, schema_url

VERSION = "1-0-0"


@attr.define
class Accelerator(RedactMixin):
    kind: str
    """cuda."""
    deviceCount: int
    deviceName: str | None = attr.field(default=None)
    driverVersion: str | None = attr.field(default=None)
    cudaVersion: str | None = attr.field(default=None)
    """The CUDA runtime the step's libraries were built for (torch), when one was loaded."""


@attr.define
class SourceCodeState(RedactMixin):
    """The code this run ran, as the job's ``sourceCodeLocation`` says, plus whether the tree was
    dirty. Kept on the run too: a catalog such as Marquez keeps job facets per job version, and
    every reader (the report, the Lineage tab) asks per run."""

    origin: str
    """dagBundle (the run's versioned DAG bundle) or gitCheckout (the checkout holding the DAG)."""
    repoUrl: str
    path: str
    commit: str | None = attr.field(default=None)
    branch: str | None = attr.field(default=None)
    tag: str | None = attr.field(default=None)
    dirty: bool | None = attr.field(default=None)
    """True when tracked files differed from the commit; absent when not checked (a bundle)."""


@attr.define
class LlmLineageEnvironmentRunFacet(ProducedHere, RunFacet):
    pythonVersion: str
    pythonImplementation: str
    os: str
    osRelease: str
    architecture: str
    providerVersion: str
    """This provider's version (airflow-provider-llm-lineage)."""
    fingerprint: str
    """sha256 of the installed distributions, ``name==version`` sorted, one per line."""
    distributionCount: int
    libraries: dict[str, str]
    """The versions of the libraries this step used."""
    accelerator: Accelerator | None = attr.field(default=None)
    sourceCode: SourceCodeState | None = attr.field(default=None)

    @staticmethod
    def _get_schema() -> str:
        return schema_url("LlmLineageEnvironmentRunFacet", VERSION)
