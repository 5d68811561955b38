"""What a function implementation receives when an expression calls it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from ..model.types import Type

NO_LITERAL = object()


@dataclass(frozen=True)
class Call:
    """One call of a registered function, as its ``impl`` sees it.

    ``args`` are polars expressions, ``types`` their types, ``literals`` the Python value of
    each argument written as a literal (else :data:`NO_LITERAL`), ``as_of`` the evaluation date.
    An ``impl`` that rejects its arguments raises ``ValueError`` with a message for the user.
    """

    name: str
    args: tuple
    types: tuple[Type, ...]
    literals: tuple[Any, ...]
    as_of: dt.date

    def literal(self, index: int, what: str = "this argument"):
        """The literal value of argument ``index``; ValueError when it is not a literal."""
        value = self.literals[index]
        if value is NO_LITERAL:
            raise ValueError(f"{self.name}(): {what} must be written as a literal")
        return value


@dataclass(frozen=True)
class SignalContext:
    """What a signal's ``impl(inputs, context)`` may know of the evaluation besides its inputs:
    ``as_of``, the evaluation date (so "days until renewal" counts from it), and ``name``, the
    signal's own name."""

    as_of: dt.date
    name: str


def wants_context(impl) -> bool:
    """Whether a signal's ``impl`` takes the context: a second positional parameter, a
    parameter named ``context``, or ``*args``."""
    import inspect

    try:
        parameters = list(inspect.signature(impl).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return (len(positional) >= 2 or any(p.name == "context" for p in parameters)
            or any(p.kind == p.VAR_POSITIONAL for p in parameters))
