"""Dates as rulesets, test files and the API give them."""

from __future__ import annotations

import datetime as dt


def parse_date(value) -> dt.date:
    """A date from a YAML value: a date, a datetime (its date) or ISO text; ValueError otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))
