"""Turn settings errors into messages that name the operator, the task and the parameter.

Operators validate in ``__init__``, which runs when the DAG file is parsed, so a wrong value is
an import error in the Airflow UI rather than a failure hours later.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from llm_lineage.common.errors import LlmLineageError
from llm_lineage.lineage.declaration import DeclarationError, SourceDeclaration, load_declaration
from llm_lineage.lineage.secrets import secret_name

ModelT = TypeVar("ModelT", bound=BaseModel)
EnumT = TypeVar("EnumT", bound=Enum)


class InvalidParameterError(LlmLineageError, ValueError):
    """A parameter of an operator or hook has a wrong value."""


def validated(
    owner: str,
    model: Callable[..., ModelT],
    names: dict[str, str] | None = None,
    prefix: str | None = None,
    **values: Any,
) -> ModelT:
    """Build a settings model; report the first error with the parameter's name as users wrote it.

    ``names`` maps model field names to the operator's parameter names where they differ;
    ``prefix`` names fields of a dict parameter (``training.learning_rate``).
    """
    try:
        return model(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else None
            if field is None:
                parameter = prefix or "?"
            else:
                parameter = (names or {}).get(field, f"{prefix}.{field}" if prefix else field)
            message = str(error["msg"]).removeprefix("Value error, ")
            if field is None:
                problems.append(f"parameter '{parameter}': {message}")
            else:
                problems.append(f"parameter '{parameter}': {message} (got {error.get('input')!r})")
        raise InvalidParameterError(f"{owner}: " + "; ".join(problems)) from None


def settings(owner: str, parameter: str, model: type[ModelT], value: Any) -> ModelT:
    """A settings parameter given as the model itself, a dict of its fields, or None (defaults)."""
    if isinstance(value, model):
        return value
    if value is None:
        return model()
    if not isinstance(value, Mapping):
        raise InvalidParameterError(
            f"{owner}: parameter '{parameter}' must be a dict or {model.__name__} "
            f"(got {type(value).__name__})"
        )
    return validated(owner, model, prefix=parameter, **dict(value))


def choice(owner: str, parameter: str, value: Any, kind: type[EnumT]) -> EnumT:
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(repr(member.value) for member in kind)
        raise InvalidParameterError(
            f"{owner}: parameter '{parameter}' must be one of {allowed} (got {value!r})"
        ) from None


def location(owner: str, parameter: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidParameterError(
            f"{owner}: parameter '{parameter}' must be a non-empty path or URL (got {value!r})"
        )
    return value


def environment_names(owner: str, names: Any) -> tuple[str, ...]:
    """``environment_variables``: a list of names, none of which looks like a secret's."""
    if isinstance(names, str) or not all(isinstance(n, str) and n for n in names):
        raise InvalidParameterError(
            f"{owner}: parameter 'environment_variables' must be a list of names (got {names!r})"
        )
    secret = [n for n in names if secret_name(n)]
    if secret:
        raise InvalidParameterError(
            f"{owner}: parameter 'environment_variables' names {', '.join(secret)}, which "
            "look like secrets; secrets never enter lineage"
        )
    return tuple(names)


def source_declaration(owner: str, value: Any) -> SourceDeclaration | None:
    """``source_declaration``: None, a dict, or the path of a YAML file (read now, at parse
    time, so a missing or wrong file is an import error of the DAG)."""
    if value is None or isinstance(value, SourceDeclaration):
        return value
    if not isinstance(value, (str, Mapping)):
        raise InvalidParameterError(
            f"{owner}: parameter 'source_declaration' must be a dict or a YAML file's path "
            f"(got {type(value).__name__})"
        )
    try:
        return load_declaration(value)
    except DeclarationError as error:
        raise InvalidParameterError(f"{owner}: parameter 'source_declaration': {error}") from None
