"""The ``llm-lineage`` command line (also ``airflow llm-lineage``).

Each command group lives in a module of its own with a ``register(subparsers)`` function;
``main`` only assembles them, so a new command is one module and one line in ``COMMANDS``.
"""
