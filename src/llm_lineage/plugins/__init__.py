"""The Airflow plugin: a Lineage tab on task instances and DAG runs, served by the API server."""
