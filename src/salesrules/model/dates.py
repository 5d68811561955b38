"""Dates as rulesets, test files, expressions, the command line and the API give them."""

from __future__ import annotations

import datetime as dt

from ..errors import Loc, RulesetError, SalesrulesError, UsageError


def parse_date(value) -> dt.date:
    """A date from a date, a datetime (its date) or ISO text.

    Anything else is a ValueError whose message says so: ``'x' is not a date (YYYY-MM-DD)``.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parse_date_at(value, loc: Loc | None, error: type[SalesrulesError] = RulesetError, what: str | None = None) -> dt.date:
    """:func:`parse_date` of a value read from a file, else ``error`` at ``loc``.

    ``what`` names the value at the start of the message (``as_of: '2026-13-01' is not a date``).
    """
    try:
        return parse_date(value)
    except ValueError as exc:
        raise error(f"{what}: {exc}" if what else str(exc), loc) from None


def as_of_date(value) -> dt.date:
    """The as-of date the API takes: a date, a datetime (its date) or ISO text, trimmed.

    Anything else is a :class:`UsageError`.
    """
    if isinstance(value, (dt.date, str)):
        try:
            return parse_date(value.strip() if isinstance(value, str) else value)
        except ValueError:
            pass
    raise UsageError(f"as_of must be a date (YYYY-MM-DD), not {value!r}")
