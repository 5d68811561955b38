"""Running the ``tests:`` of a ruleset: each case evaluates one partial record and compares results."""

from __future__ import annotations

from dataclasses import dataclass, field

from .errors import SalesrulesError


@dataclass
class CaseResult:
    """The outcome of one test case: ``mismatches`` maps a result name to (expected, actual)."""

    name: str
    mismatches: dict = field(default_factory=dict)
    error: str | None = None

    @property
    def passed(self) -> bool:
        """True when every expectation held."""
        return not self.mismatches and self.error is None


def _same(expected, actual) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool) and isinstance(actual, (int, float)):
        return abs(float(expected) - float(actual)) < 1e-9
    if isinstance(actual, list) and isinstance(expected, list):
        names = [a["name"] if isinstance(a, dict) and "name" in a else a for a in actual]
        return sorted(map(str, expected)) == sorted(map(str, names))
    if hasattr(actual, "isoformat") and isinstance(expected, str):
        return actual.isoformat() == expected
    return expected == actual


def run_case(ruleset, case) -> CaseResult:
    """Evaluate one test case of ``ruleset``."""
    result = CaseResult(case.name)
    try:
        actual = ruleset.evaluate_one(case.record, as_of=case.as_of)
    except SalesrulesError as exc:
        if case.error and case.error in exc.message:
            return result
        result.error = exc.message
        return result
    if case.error:
        result.error = f"expected an error containing {case.error!r}, but evaluation succeeded"
        return result
    for name, expected in case.expect.items():
        if name not in actual:
            result.mismatches[name] = (expected, "<no such result>")
        elif not _same(expected, actual[name]):
            result.mismatches[name] = (expected, actual[name])
    return result


def run_tests(ruleset) -> list[CaseResult]:
    """Run every test case of ``ruleset``."""
    return [run_case(ruleset, case) for case in ruleset.tests]
