"""The one base of every exception this provider raises on purpose.

``except LlmLineageError`` catches them all. Names follow one convention (ARCHITECTURE.md,
"Conventions"): ``*Failed`` is a step that stopped and carries its partial result;
``*Error`` is bad input (a document, a parameter, a dataset, a location) and names it.
"""

from __future__ import annotations


class LlmLineageError(Exception):
    """Base of the provider's exceptions; subclasses keep their built-in bases too."""


class ConfigError(LlmLineageError, ValueError):
    """A setting is missing, unknown or out of range; the message names the setting."""
