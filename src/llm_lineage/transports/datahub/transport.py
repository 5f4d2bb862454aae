"""``DataHubTransport``: every OpenLineage event as DataHub metadata, through DataHub's own SDK.

Configured like any OpenLineage transport, by dotted path::

    {"type": "llm_lineage.transports.datahub.DataHubTransport",
     "server": "http://datahub-gms:8080", "token": "..."}
    {"type": "llm_lineage.transports.datahub.DataHubTransport",
     "filename": "/var/lib/llm-lineage/datahub.json"}

Why a transport and not DataHub's Airflow plugin or GMS's OpenLineage endpoint: both keep
only part of an event (the plugin drops ``file`` datasets by default and every dataset facet
otherwise, the endpoint drops custom run facets), and neither turns a base model and an
adapter into ML models. This module never imports acryl-datahub at import time (it is the
optional ``[datahub]`` extra) and never imports Airflow.
"""

from __future__ import annotations

import logging
from typing import Any

from openlineage.client.serde import Serde
from openlineage.client.transport.transport import Transport

from llm_lineage.transports.datahub.config import DataHubConfig

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'airflow-provider-llm-lineage[datahub]'"


def _require_extra() -> None:
    try:
        import datahub.emitter.mcp  # noqa: F401
    except ImportError as error:
        raise ImportError(
            f"DataHubTransport needs DataHub's Python SDK (acryl-datahub): {INSTALL_HINT}"
        ) from error


class DataHubTransport(Transport):
    kind = "llm_lineage_datahub"
    config_class = DataHubConfig

    def __init__(self, config: DataHubConfig) -> None:
        _require_extra()
        # Imported here, once: the OpenLineage provider may emit from a forked child per event,
        # which then inherits the SDK's schema classes instead of importing them each time.
        from llm_lineage.transports.datahub.mapping import proposals
        from llm_lineage.transports.datahub.sinks import make_sink

        self.config = config
        self.sink = make_sink(config)
        self._proposals = proposals

    def emit(self, event: Any) -> None:
        """Convert and write; errors propagate so that the spool can retry or dead-letter."""
        data = Serde.to_dict(event)
        written = self.sink.write(lambda known: self._proposals(data, self.config, known))
        log.debug(
            "DataHub: %d proposals for %s %s",
            written,
            data.get("eventType"),
            (data.get("job") or {}).get("name"),
        )

    def close(self, timeout: float = -1) -> bool:
        closer = getattr(self.sink, "close", None)
        if closer is not None:
            closer()
        return True
