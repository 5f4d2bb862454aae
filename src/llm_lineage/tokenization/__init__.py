"""Tokenization engine (no Airflow import): tokenizer loading, text transforms, token Parquet."""

from __future__ import annotations

from llm_lineage.tokenization.engine import tokenize_corpus
from llm_lineage.tokenization.loader import (
    EOS_CANDIDATES,
    TOKENIZER_FILE,
    LoadedTokenizer,
    TokenizerLoadError,
    load_tokenizer,
)
from llm_lineage.tokenization.model import TokenizationFailed, TokenizationResult
from llm_lineage.tokenization.settings import TokenizationSettings
from llm_lineage.tokenization.tables import (
    CHUNKS_SCHEMA,
    PACKED_SCHEMA,
    TOKENS_FILE,
    output_schema,
)
from llm_lineage.tokenization.transforms import (
    DEFAULT_TRANSFORMS,
    TransformChain,
    TransformSpec,
    TransformStats,
    parse_transforms,
)

__all__ = [
    "CHUNKS_SCHEMA",
    "DEFAULT_TRANSFORMS",
    "EOS_CANDIDATES",
    "PACKED_SCHEMA",
    "TOKENIZER_FILE",
    "TOKENS_FILE",
    "LoadedTokenizer",
    "TokenizationFailed",
    "TokenizationResult",
    "TokenizationSettings",
    "TokenizerLoadError",
    "TransformChain",
    "TransformSpec",
    "TransformStats",
    "load_tokenizer",
    "output_schema",
    "parse_transforms",
    "tokenize_corpus",
]
