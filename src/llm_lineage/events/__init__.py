"""Reading back the events and XCom lineage documents this provider writes.

One place knows where each fact sits (``keys.py``: every facet and field read, checked against
the facet classes by ``tests/test_events_keys.py``), what a dataset is (``kinds.py``), how a
number reads for people (``units.py``), and how pages are rendered (``templating.py``). The
plugin, the governance report, the DataHub transport and the demo all read through it.

Airflow-free and light: it imports neither Airflow nor openlineage-python (the facet classes
cost a second to import, which the report's command line and the transports must not pay), so
it names facets and fields by their JSON keys and a test ties each key to its class.
"""
