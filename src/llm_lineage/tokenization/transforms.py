"""The ordered text transforms applied before encoding, each counting what it changed or dropped.

Two token datasets built from "the same documents" differ when one was deduplicated or
filtered and the other was not; the chain's parameters and counts are what lineage records so
that the difference is visible.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from llm_lineage.common.errors import ConfigError

TransformName = Literal[
    "unicode_normalize", "clean_whitespace", "deduplicate", "min_length", "max_length"
]

DEFAULT_TRANSFORMS: tuple[str, ...] = ("unicode_normalize", "clean_whitespace", "deduplicate")


class _NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _NormalizeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    form: Literal["NFC", "NFKC", "NFD", "NFKD"] = "NFC"


class _LengthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    chars: int = Field(gt=0)

    @field_validator("chars", mode="before")
    @classmethod
    def _not_bool(cls, value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would read True as 1 character
            raise ConfigError("must be a whole number of characters, not a boolean")
        return value


_PARAMS: dict[str, type[BaseModel]] = {
    "unicode_normalize": _NormalizeParams,
    "clean_whitespace": _NoParams,
    "deduplicate": _NoParams,
    "min_length": _LengthParams,
    "max_length": _LengthParams,
}


class TransformSpec(BaseModel):
    """One transform and its parameters, with defaults filled in so lineage shows what ran.

    Accepts ``"clean_whitespace"``, ``{"name": "min_length", "chars": 20}`` or
    ``{"name": "min_length", "params": {"chars": 20}}``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: TransformName
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _normalize(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"name": value}
        if not isinstance(value, dict):
            return value
        name = value.get("name")
        if "params" in value:
            extra = sorted(set(value) - {"name", "params"})
            if extra:
                raise ConfigError(
                    f"transform {name!r}: give parameters either in 'params' or beside "
                    f"'name', not both (found {extra})"
                )
            params = value["params"]
        else:
            params = {key: item for key, item in value.items() if key != "name"}
        if isinstance(name, str) and name in _PARAMS and isinstance(params, dict):
            params = _checked_params(name, _PARAMS[name], params)
        return {"name": name, "params": params}


def _checked_params(name: str, model: type[BaseModel], params: dict[str, Any]) -> dict[str, Any]:
    """Validated parameters with their defaults filled in, so lineage shows what ran."""
    try:
        return model.model_validate(params).model_dump()
    except ValidationError as error:
        problems = "; ".join(
            f"parameter {'.'.join(str(part) for part in issue['loc'])!r}: {issue['msg']}"
            for issue in error.errors()
        )
        raise ConfigError(f"transform {name!r}: {problems}") from None


_SPECS = TypeAdapter(tuple[TransformSpec, ...])


def parse_transforms(value: Any) -> tuple[TransformSpec, ...]:
    """Validate a transform list as operators receive it (names, dicts or TransformSpec)."""
    if isinstance(value, str | dict | TransformSpec):
        value = (value,)
    elif isinstance(value, Iterable):
        value = tuple(value)
    return _SPECS.validate_python(value)


@dataclass(frozen=True)
class TransformStats:
    """What one transform did to a run: documents it changed and documents it dropped."""

    name: str
    params: dict[str, Any]
    changed: int
    dropped: int


_SPACES = re.compile(r"[ \t]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def _clean_whitespace(text: str) -> str:
    """Collapse space/tab runs, strip lines, keep at most one blank line (paragraphs survive)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


class _Step:
    def __init__(self, spec: TransformSpec) -> None:
        self.spec = spec
        self.changed = 0
        self.dropped = 0
        self.run = self._function(spec)

    def _function(self, spec: TransformSpec) -> Callable[[str], str | None]:
        params = spec.params
        if spec.name == "unicode_normalize":
            form = params["form"]
            return lambda text: (
                text if unicodedata.is_normalized(form, text) else unicodedata.normalize(form, text)
            )
        if spec.name == "clean_whitespace":
            return _clean_whitespace
        if spec.name == "min_length":
            least: int = params["chars"]
            return lambda text: text if len(text) >= least else None
        if spec.name == "max_length":
            most: int = params["chars"]
            return lambda text: text if len(text) <= most else None
        # 128 bits of sha256 per unique document: collisions are out of reach, and the set
        # stays about 100 bytes a document, the one thing here that grows with the corpus.
        seen: set[bytes] = set()

        def deduplicate(text: str) -> str | None:
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()[:16]
            if digest in seen:
                return None
            seen.add(digest)
            return text

        return deduplicate


class TransformChain:
    """Apply transforms in order; a document dropped by one is not seen by the next."""

    def __init__(self, specs: Iterable[TransformSpec | str | dict[str, Any]]) -> None:
        self._steps = [_Step(spec) for spec in parse_transforms(tuple(specs))]

    def apply(self, text: str) -> str | None:
        """The transformed text, or None when a transform dropped the document.

        A text that a transform leaves empty is dropped there too: it has nothing to train on.
        """
        for step in self._steps:
            result = step.run(text)
            if result is None or not result:
                step.dropped += 1
                return None
            if result != text:
                step.changed += 1
            text = result
        return text

    @property
    def stats(self) -> list[TransformStats]:
        return [
            TransformStats(step.spec.name, dict(step.spec.params), step.changed, step.dropped)
            for step in self._steps
        ]

    def describe(self) -> list[tuple[str, dict[str, Any]]]:
        """(name, params) in order, for the transformations facet."""
        return [(step.spec.name, dict(step.spec.params)) for step in self._steps]
