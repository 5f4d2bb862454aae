"""DataHub URNs for what an OpenLineage event names: the one place that spells them.

Datasets follow DataHub's Airflow plugin with ``normalize_object_storage`` (and the Java
OpenLineage converter behind DataHub's Spark agent and GMS endpoint): object-store and file
schemes map to DataHub platforms and the bucket stays in the name (``s3://bucket`` +
``corpus`` → platform ``s3``, name ``bucket/corpus``), which is also how DataHub's S3, GCS
and ABS sources name them; other namespaces keep the scheme as platform and the name as is.
So a dataset this transport writes is the dataset those integrations write.

Flows, jobs and run instances are built exactly as the Airflow plugin builds them
(``airflow_generator.py``): ``urn:li:dataFlow:(airflow,<dag_id>,<cluster>)``, the task as its
``dataJob``, and each run as a ``dataProcessInstance`` keyed by ``<dag_id>_<task_id>_<run_id>``
(the DAG run by ``<run_id>``). A mapped task instance adds ``_<map_index>``: the plugin gives
every instance of a mapped task one run entity, which would keep only the last instance.
"""

from __future__ import annotations

import datahub.emitter.mce_builder as builder
from datahub.api.entities.dataprocess.dataprocess_instance import DataProcessInstanceKey
from datahub.metadata.urns import (
    DataFlowUrn,
    DataJobUrn,
    DataProcessInstanceUrn,
    MlModelGroupUrn,
    MlModelUrn,
)

ORCHESTRATOR = "airflow"

#: Filesystem and object-store schemes and their DataHub platforms (the plugin's table).
FS_PLATFORMS = {
    "s3": "s3",
    "s3a": "s3",
    "s3n": "s3",
    "gs": "gcs",
    "gcs": "gcs",
    "abfs": "abs",
    "abfss": "abs",
    "wasb": "abs",
    "wasbs": "abs",
    "dbfs": "dbfs",
    "file": "file",
}
SCHEME_TWEAKS = {"sqlserver": "mssql", "awsathena": "athena"}
#: Model hubs: a base model named by hub id lives on this platform.
MODEL_HUBS = {"https://huggingface.co": "huggingface"}


def platform_and_name(namespace: str, name: str) -> tuple[str, str]:
    """DataHub platform and dataset name for an OpenLineage namespace and name."""
    if namespace in MODEL_HUBS:
        return MODEL_HUBS[namespace], name
    scheme, _, authority = namespace.partition("://")
    if authority and scheme in FS_PLATFORMS:
        joined = f"{namespace.rstrip('/')}/{name.lstrip('/')}"
        path = joined.split("://", 1)[1].rstrip("/")
        return FS_PLATFORMS[scheme], path if scheme == "file" else path.lstrip("/")
    return SCHEME_TWEAKS.get(scheme, scheme), name


def location_uri(namespace: str, name: str) -> str:
    """The dataset's location as a URI (``file:///data/x``, ``s3://bucket/key``)."""
    if "://" not in namespace:
        return f"{namespace}://{name}" if name.startswith("/") else f"{namespace}:{name}"
    return f"{namespace.rstrip('/')}/{name.lstrip('/')}"


def dataset_urn(namespace: str, name: str, env: str) -> str:
    platform, path = platform_and_name(namespace, name)
    return builder.make_dataset_urn(platform=platform, name=path, env=env)


def model_urn(namespace: str, name: str, env: str, version: str | None = None) -> str:
    """A model; ``version`` (an adapter's weights hash) makes each trained version its own."""
    platform, path = platform_and_name(namespace, name)
    label = f"{path}@{version[:16]}" if version else path
    return str(MlModelUrn(builder.make_data_platform_urn(platform), label, env))


def model_group_urn(namespace: str, name: str, env: str) -> str:
    platform, path = platform_and_name(namespace, name)
    return str(MlModelGroupUrn(builder.make_data_platform_urn(platform), path, env))


def flow_urn(
    dag_id: str, cluster: str, platform_instance: str | None, orchestrator: str = ORCHESTRATOR
) -> str:
    return str(
        DataFlowUrn.create_from_ids(
            orchestrator=orchestrator,
            flow_id=dag_id,
            env=cluster,
            platform_instance=platform_instance,
        )
    )


def job_urn(flow: str, task_id: str) -> str:
    return str(DataJobUrn.create_from_ids(data_flow_urn=flow, job_id=task_id))


def run_urn(run_key: str, cluster: str, orchestrator: str = ORCHESTRATOR) -> str:
    """The plugin's instance URN: a guid of (cluster, orchestrator, id)."""
    key = DataProcessInstanceKey(cluster=cluster, orchestrator=orchestrator, id=run_key)
    return str(DataProcessInstanceUrn(key.guid()))


def task_run_key(dag_id: str, task_id: str, run_id: str, map_index: int | None) -> str:
    key = f"{dag_id}_{task_id}_{run_id}"
    return f"{key}_{map_index}" if map_index is not None and map_index >= 0 else key


def user_urn(owner: str) -> str:
    return builder.make_user_urn(owner)


def tag_urn(tag: str) -> str:
    return builder.make_tag_urn(tag)


def field_urn(dataset: str, field: str) -> str:
    return builder.make_schema_field_urn(dataset, field)
