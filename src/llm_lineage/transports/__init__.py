"""OpenLineage transports of this provider, selected by dotted path in the usual configuration.

``llm_lineage.transports.spool.SpoolTransport`` keeps every event on disk until a backend has
it. Transports never import Airflow: the scheduler, the workers and the ``llm-lineage`` command
all build them from the same configuration dictionary.
"""
