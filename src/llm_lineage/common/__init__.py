"""What the engines share (no Airflow import): Parquet writing, progress, measuring, versions, hub ids.

The engines (``extraction``, ``tokenization``, ``training``) import this package and never each
other; lineage and hooks may import it too.
"""
