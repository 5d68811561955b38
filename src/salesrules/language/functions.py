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
