"""Comparing what a test case expects with what the ruleset gave, and showing the difference."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from ...errors import Loc, did_you_mean


@dataclass
class CaseResult:
    """The outcome of one test case: ``mismatches`` maps a result name to (expected, actual).

    ``actual`` holds the case's results (None when evaluation failed) and ``factors`` the names
    of the factors that fired; ``error`` says why the case failed when it is not a mismatch.
    """

    name: str
    mismatches: dict = field(default_factory=dict)
    error: str | None = None
    loc: Loc | None = None
    actual: dict | None = None
    factors: list = field(default_factory=list)
    as_of: dt.date | None = None
    duration: float = 0.0

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.mismatches and self.error is None

    def describe(self, align: bool = True) -> list[str]:
        """The failure, field by field: ``band: expected B, actual C``; empty when it passed."""
        lines = []
        if self.error is not None:
            lines.append(f"error: {self.error}")
        width = max((len(str(n)) for n in self.mismatches), default=0) + 1 if align else 0
        for name, (expected, actual) in self.mismatches.items():
            label = f"{name}:".ljust(width)
            if actual is NO_SUCH_RESULT:
                known = list(self.actual or ())
                lines.append(f"{label} expected {show(expected)}, but there is no result {name!r}{did_you_mean(name, known)}")
            else:
                lines.append(f"{label} expected {show(expected)}, actual {show(_comparable(expected, actual))}")
        return lines


class _NoSuchResult:
    def __repr__(self) -> str:
        return "<no such result>"


NO_SUCH_RESULT = _NoSuchResult()


def _same(expected, actual) -> bool:
    """Whether an actual result matches what a test expects.

    Numbers compare within a rounding error; true/false only equal true/false; a list of
    names matches actions (or any list of records with a name) in any order; a list of
    mappings matches records on the keys it gives; dates match their ISO text.
    """
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(expected, list) and isinstance(actual, list):
        if len(expected) != len(actual):
            return False
        if all(isinstance(e, dict) for e in expected):
            remaining = list(actual)
            for item in expected:
                match = next((a for a in remaining if isinstance(a, dict) and all(
                    k in a and _same(v, a[k]) for k, v in item.items())), None)
                if match is None:
                    return False
                remaining.remove(match)
            return True
        names = [_name(a) for a in actual]
        return sorted(map(_text, expected)) == sorted(map(_text, names))
    if isinstance(actual, dt.date) and isinstance(expected, str):
        return actual.isoformat() == expected
    return expected == actual


def _name(value):
    return value["name"] if isinstance(value, dict) and "name" in value else value


def _text(value) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


def _comparable(expected, actual):
    """The actual value as the test wrote the expected one: action names for a list of names."""
    if isinstance(expected, list) and isinstance(actual, list) and not any(isinstance(e, dict) for e in expected):
        return [_name(a) for a in actual]
    return actual


def compare(expect: dict, actual: dict) -> dict:
    """The mismatches between expected and actual results: name -> (expected, actual)."""
    mismatches = {}
    for name, expected in expect.items():
        if name not in actual:
            mismatches[name] = (expected, NO_SUCH_RESULT)
        elif not _same(expected, actual[name]):
            mismatches[name] = (expected, actual[name])
    return mismatches


def show(value) -> str:
    """A value as a test file would write it: ``high``, ``70``, ``null``, ``[a, b]``, ``2026-11-24``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return repr(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        special = value == "" or value.strip() != value or value.lower() in ("null", "true", "false", "~") or any(
            c in value for c in ",[]{}:#'\"") or _looks_numeric(value)
        return repr(value) if special else value
    return str(value)


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("_", ""))
        return True
    except ValueError:
        return False
