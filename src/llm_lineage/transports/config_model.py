"""Transport configurations as pydantic models: read and refused one way by every transport.

OpenLineage builds a transport from a dict (``[openlineage] transport``, ``openlineage.yml``,
``OPENLINEAGE__TRANSPORT__*`` variables, a composite's member) through its ``config_class``'s
``from_dict``. ``TransportConfig`` is that class for our transports: a frozen pydantic model
(``extra="forbid"``) whose ``from_dict`` drops the keys every OpenLineage transport may carry
(``type``, ``name``, ``priority``), refuses unknown keys naming the known ones (and the closest,
"did you mean"), and turns pydantic's errors into one ``ConfigError`` line that names the
transport and the key. The shared field types are here: ``Flag``, ``Text``, ``Count``,
``Seconds``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Self

from openlineage.client.transport.transport import Config
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import ErrorDetails

from llm_lineage.common.errors import ConfigError
from llm_lineage.common.numeric import Integer, Real

#: Keys every OpenLineage transport configuration may carry (the composite adds ``name``).
COMMON_KEYS = frozenset({"type", "name", "priority"})
TRUE = frozenset({"true", "1", "yes"})
FALSE = frozenset({"false", "0", "no"})


def _flag(value: Any) -> Any:
    """JSON and YAML booleans, and the strings environment variables give, alike."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in TRUE | FALSE:
        return text in TRUE
    raise ConfigError(f"must be true or false, got {value!r}")


#: true/false, from JSON, YAML or an environment variable (``"yes"``, ``"0"``, ...).
Flag = Annotated[bool, BeforeValidator(_flag)]
#: A non-empty string, surrounding spaces removed.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: A whole number >= 0 (``"5"`` from an environment variable too; never a boolean).
Count = Annotated[Integer, Field(ge=0)]
#: Seconds >= 0, finite.
Seconds = Annotated[Real, Field(ge=0)]


def closest(word: str, known: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the known word nearest ``word``, or nothing."""
    match = difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)
    return f" (did you mean {match[0]!r}?)" if match else ""


def unknown_keys(transport: str, unknown: list[str], known: Iterable[str]) -> str:
    hints = "".join(closest(key, known) for key in unknown[:1])
    return f"{transport}: unknown key(s) {unknown}{hints}; known: {sorted(known)}"


class TransportConfig(BaseModel, Config):
    """Base of our transports' configurations; ``TRANSPORT`` names the transport in errors."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    TRANSPORT: ClassVar[str] = "Transport"

    @classmethod
    def from_dict(cls, params: dict[str, Any]) -> Self:
        given = {key: value for key, value in params.items() if key not in COMMON_KEYS}
        unknown = sorted(set(given) - set(cls.model_fields))
        if unknown:
            raise ConfigError(unknown_keys(cls.TRANSPORT, unknown, cls.model_fields))
        try:
            return cls.model_validate(given)
        except PydanticValidationError as error:
            problems = "; ".join(cls._problem(issue) for issue in error.errors())
            raise ConfigError(f"{cls.TRANSPORT}: {problems}") from None

    @classmethod
    def _problem(cls, issue: ErrorDetails) -> str:
        """One pydantic error as ``'key' must be ..., got value`` (one line)."""
        key = ".".join(str(part) for part in issue["loc"])
        if issue["type"] == "missing":
            field = cls.model_fields.get(key)
            why = f": {field.description}" if field and field.description else ""
            return f"'{key}' is required{why}"
        error = issue.get("ctx", {}).get("error")
        own = isinstance(error, ConfigError)  # our own words (a validator's), else pydantic's
        message = (str(error) if own else issue["msg"]).replace("Input should be", "must be", 1)
        if not key:  # the model's own check: its message names the keys
            return message
        got = "" if "got " in message else f", got {issue['input']!r}"
        return f"'{key}' {message[0].lower()}{message[1:]}{got}"

    def as_dict(self) -> dict[str, Any]:
        """The configuration as OpenLineage reads it back (``from_dict`` of this gives it)."""
        return self.model_dump()
