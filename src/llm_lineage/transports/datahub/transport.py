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

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.transports.datahub.config import DataHubConfig
from llm_lineage.transports.failures import refused_status
from llm_lineage.transports.redaction import error_text, redact

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'airflow-provider-llm-lineage[datahub]'"


class MissingExtra(LlmLineageError, ImportError):
    """acryl-datahub (the ``[datahub]`` extra) is not installed."""


def _require_extra() -> None:
    try:
        import datahub.emitter.mcp  # noqa: F401
    except ImportError as error:
        raise MissingExtra(
            f"DataHubTransport needs DataHub's Python SDK (acryl-datahub): {INSTALL_HINT}"
        ) from error


class _Response:
    """The status and (redacted) body of a GMS answer, as ``requests.Response`` names them."""

    def __init__(self, status_code: int, text: str) -> None:
        self.status_code = status_code
        self.text = text


class DataHubEmitError(LlmLineageError, RuntimeError):
    """An event DataHub did not take.

    Its text is redacted (a GMS may echo the token) and it chains no exception. ``transient``
    says whether trying again can help: False for an event that cannot be converted, True for
    GMS or the metadata file being unavailable. ``response`` holds GMS's status and redacted
    body for the spool (400 and 422 go to ``dead-letter/``).
    """

    def __init__(self, message: str, transient: bool, response: _Response | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.response = response


class _Unconvertible(LlmLineageError):
    """Raised inside ``build``: the event itself could not be turned into proposals."""


def _emit_error(error: BaseException, secrets: list[str]) -> DataHubEmitError:
    if isinstance(error, _Unconvertible):
        cause = error.__cause__ or error
        text = error_text(cause, secrets)
        return DataHubEmitError(f"DataHub: the event cannot be converted: {text}", False)
    status, body = refused_status(error)
    response = _Response(status, redact(body, secrets)[:65536]) if status is not None else None
    # GMS down, a 5xx, the metadata file unreadable: not the event's fault, so it waits.
    return DataHubEmitError(f"DataHub: {error_text(error, secrets, limit=2000)}", True, response)


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
        """Convert and write; errors propagate (redacted) so that the spool can retry or
        dead-letter: ``DataHubEmitError``, raised outside the ``except`` block so that the
        original exception (whose text may hold the token) is not chained to it."""
        failure: DataHubEmitError | None = None
        try:
            written, data = self._write(event)
        except Exception as error:
            failure = _emit_error(error, [self.config.token or ""])
        if failure is not None:
            raise failure
        log.debug(
            "DataHub: %d proposals for %s %s",
            written,
            data.get("eventType"),
            (data.get("job") or {}).get("name"),
        )

    def _write(self, event: Any) -> tuple[int, dict[str, Any]]:
        try:
            data = Serde.to_dict(event)
        except Exception as error:
            raise _Unconvertible() from error

        def build(known: Any) -> Any:
            try:
                return self._proposals(data, self.config, known)
            except Exception as error:
                raise _Unconvertible() from error

        return self.sink.write(build), data

    def close(self, timeout: float = -1) -> bool:
        closer = getattr(self.sink, "close", None)
        if closer is not None:
            closer()
        return True
