"""Rendered secrets held by an operator: masked in task logs, printed as ``***`` everywhere else.

An operator attribute reaches places the secrets masker does not redact: Airflow's rendered
fields (shown in the UI) and the OpenLineage provider's full task info, which copies every
attribute and keeps a redactor built before the task rendered its templates. Holding the value
in ``Concealed`` makes those places print ``***``.
"""

from __future__ import annotations

from llm_lineage.hooks.compat import mask_secret
from llm_lineage.lineage.secrets import MASK


class Concealed:
    """A secret held by an operator attribute once templates are rendered.

    ``str`` and ``repr`` give ``***``, so Airflow's rendered-fields table (shown in the UI) stores
    ``***``, and OpenLineage's full task info (``include_full_task_info``), which copies every
    operator attribute, serializes it as a placeholder. ``reveal()`` gives the value.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return repr(MASK)

    def __str__(self) -> str:
        return MASK


def conceal(value: str | Concealed | None) -> str | Concealed | None:
    """Register a rendered secret with Airflow's secrets masker and wrap it in ``Concealed``.

    The masker hides it in task logs (the task process's and the supervisor's) and in anything
    else Airflow redacts; the wrapper hides it where the masker does not look.
    """
    if not isinstance(value, str) or not value:
        return value
    mask_secret(value)
    return Concealed(value)


def revealed(value: str | Concealed | None) -> str | None:
    """The secret itself, whether or not templates were rendered (and it concealed) yet."""
    return value.reveal() if isinstance(value, Concealed) else value
