"""Airflow hooks: storage and connections around the engines, and hook-level lineage."""
