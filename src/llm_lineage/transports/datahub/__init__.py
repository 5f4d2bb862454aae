"""DataHub as a catalog: ``DataHubTransport`` turns OpenLineage events into DataHub metadata.

Importing this package needs only openlineage-python; acryl-datahub (the ``[datahub]``
extra) is imported when a transport is created.
"""

from llm_lineage.transports.datahub.config import DataHubConfig
from llm_lineage.transports.datahub.transport import DataHubTransport

__all__ = ["DataHubConfig", "DataHubTransport"]
