"""Turn settings errors into messages that name the operator, the task and the parameter.

Operators validate in ``__init__``, which runs when the DAG file is parsed, so a wrong value is
an import error in the Airflow UI rather than a failure hours later.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

ModelT = TypeVar("ModelT", bound=BaseModel)
EnumT = TypeVar("EnumT", bound=Enum)


class InvalidParameterError(ValueError):
    """A parameter of an operator or hook has a wrong value."""


def validated(
    owner: str, model: Callable[..., ModelT], names: dict[str, str] | None = None, **values: Any
) -> ModelT:
    """Build a settings model; report the first error with the parameter's name as users wrote it.

    ``names`` maps model field names to the operator's parameter names where they differ.
    """
    try:
        return model(**values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            parameter = (names or {}).get(field, field)
            problems.append(f"parameter '{parameter}': {error['msg']} (got {error.get('input')!r})")
        raise InvalidParameterError(f"{owner}: " + "; ".join(problems)) from None


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
