"""Where the forwarder's warnings go, redacted: ``forwarder.log`` in the spool, or stderr.

Every line passes through ``redaction.redact`` (with the literal secrets of the transport's
configuration) after formatting, so a message, its arguments and any exception text of any
library (urllib3, requests, DataHub's SDK) are covered, not only our own messages.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from llm_lineage.transports.redaction import redact
from llm_lineage.transports.spool_files import PrivateLogHandler

FORWARDER_LOG = "forwarder.log"


class RedactingFormatter(logging.Formatter):
    """A formatter whose every line is redacted."""

    def __init__(self, fmt: str, secrets: Iterable[str] = ()) -> None:
        super().__init__(fmt)
        self.secrets = list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def log_to_spool(directory: Path, secrets: Iterable[str] = ()) -> None:
    """The background forwarder's logging: WARNING and up to ``forwarder.log`` (0600, 1 MiB x 2)."""
    handler = PrivateLogHandler(directory / FORWARDER_LOG, maxBytes=1 << 20, backupCount=1)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(process)d %(levelname)s %(message)s", secrets)
    )
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
