"""The code and environment a run used, on the DataHub entities that show a model's origin.

An adapter's ``mlModel`` gets DataHub's ``sourceCode`` aspect (a ``TRAINING_PIPELINE_SOURCE_CODE``
link to the DAG file at its commit, from the job's ``sourceCodeLocation``) and ``code.*`` and
``environment.*`` custom properties (commit, repository, branch, dirty, environment
fingerprint, Python, platform); the run's ``dataProcessInstanceProperties`` already carry every
run facet, ``llmLineage_environment`` included, through ``properties.py``.
"""

from __future__ import annotations

from typing import Any

from datahub.metadata.schema_classes import (
    SourceCodeClass,
    SourceCodeUrlClass,
    SourceCodeUrlTypeClass,
)

from llm_lineage.events import keys
from llm_lineage.transports.datahub.context import Context
from llm_lineage.transports.datahub.event import facet
from llm_lineage.transports.datahub.properties import flatten, text

_CODE_FIELDS = keys.SOURCE_CODE.fields("repoUrl", "path", "version", "branch", "tag", "url")
_ENVIRONMENT_FIELDS = keys.ENVIRONMENT.fields(
    "fingerprint", "pythonVersion", "os", "architecture", "providerVersion", "accelerator"
)


def code_properties(event: dict[str, Any], environment_too: bool = True) -> dict[str, str]:
    """``code.<field>`` from the job's ``sourceCodeLocation`` (and the run's dirty flag), and
    (``environment_too``) ``environment.<field>`` from ``llmLineage_environment``."""
    properties: dict[str, str] = {}
    location = facet(event.get("job"), keys.SOURCE_CODE)
    for key in _CODE_FIELDS:
        if location.get(key) is not None:
            properties[f"code.{'commit' if key == 'version' else key}"] = text(location[key])
    environment = facet(event.get("run"), keys.ENVIRONMENT)
    dirty = (environment.get("sourceCode") or {}).get("dirty")
    if isinstance(dirty, bool):
        properties["code.dirty"] = text(dirty)
    for key in _ENVIRONMENT_FIELDS if environment_too else ():
        if key in environment:
            flatten(environment[key], f"environment.{key}", properties)
    return properties


def add_source_code(context: Context, urn: str) -> None:
    """The model's ``sourceCode`` aspect: the training DAG at its commit, when known."""
    url = facet(context.event.get("job"), keys.SOURCE_CODE).get("url")
    if not isinstance(url, str) or not url:
        return
    context.add(
        urn,
        SourceCodeClass(
            sourceCode=[
                SourceCodeUrlClass(
                    type=SourceCodeUrlTypeClass.TRAINING_PIPELINE_SOURCE_CODE,
                    sourceCodeUrl=url,
                )
            ]
        ),
    )
