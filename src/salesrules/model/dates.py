"""Dates as rulesets, test files and the API give them."""

from __future__ import annotations

import datetime as dt

from ..errors import UsageError


def parse_date(value) -> dt.date:
    """A date from a YAML value: a date, a datetime (its date) or ISO text; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def as_of_date(value) -> dt.date:
    """An as-of date from a date, a datetime (its date) or ISO text; anything else is a usage error."""
    if isinstance(value, (dt.date, str)):
        try:
            return parse_date(value.strip() if isinstance(value, str) else value)
        except ValueError:
            pass
    raise UsageError(f"as_of must be a date (YYYY-MM-DD), not {value!r}")
