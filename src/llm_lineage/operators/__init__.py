"""Airflow operators: thin, validated at parse time, lineage through the OpenLineage provider."""
