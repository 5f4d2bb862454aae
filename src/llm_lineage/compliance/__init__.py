"""Compliance documents from the lineage: a CycloneDX 1.6 ML-BOM of an adapter, a Croissant 1.1
dataset card of a text or token dataset, and the EU AI Act public summary of training content.

Plain Python over the governance report's reading and tracing (``report/``): never imports
Airflow. ``source.py`` reads the lineage, ``selection.py`` picks the dataset and traces it,
``facts.py`` gathers what the three documents share, and each format has its module:
``cyclonedx.py``, ``croissant.py``, ``ai_act.py`` (with ``ai_act_markdown.py``). The command is
``llm-lineage export`` (``cli/export.py``).
"""
