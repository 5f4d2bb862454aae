"""Governance report: questions answered from the lineage this provider emits.

Three answers, from an events file, a spool or a Marquez server: ``trace`` (an adapter back to
its documents and authors, and whether one document feeds it), ``usage`` (idle, orphaned,
redundant and superseded datasets, and what freeing them would save) and ``cost`` (documents,
tokens, compute and money per adapter, DAG and month). Plain Python: never imports Airflow, so
the command starts fast and runs wherever the events are.
"""
