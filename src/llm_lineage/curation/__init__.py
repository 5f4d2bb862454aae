"""Curation engine (no Airflow import): language, quality, personal data and duplicate rules.

lingua and datasketch (the ``[curation]`` extra) are imported only when a run starts.
"""

from __future__ import annotations

from llm_lineage.curation.engine import curate_corpus, describe_reasons
from llm_lineage.curation.model import CurationFailed, CurationResult
from llm_lineage.curation.pii import PLACEHOLDERS
from llm_lineage.curation.settings import PII_KINDS, CurationSettings
from llm_lineage.curation.tables import DECISIONS_FILE, DECISIONS_SCHEMA, TEXT_FILE

__all__ = [
    "DECISIONS_FILE",
    "DECISIONS_SCHEMA",
    "PII_KINDS",
    "PLACEHOLDERS",
    "TEXT_FILE",
    "CurationFailed",
    "CurationResult",
    "CurationSettings",
    "curate_corpus",
    "describe_reasons",
]
