"""Running test cases: the cases of one ruleset and as-of date are evaluated together, as one frame.

The frame is evaluated with the same plan that :meth:`Ruleset.evaluate_one` uses; a case whose
record cannot be evaluated is then run on its own so that its error is exactly the one
``evaluate_one`` reports.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from ...errors import SalesrulesError
from .cases import FACTORS, Case, Suite, _case, _Loader, collect
from .compare import CaseResult, compare


def _group_as_of(case: Case, suite_as_of, ruleset) -> dt.date | None:
    return case.as_of or suite_as_of or ruleset.as_of


def evaluate_records(ruleset, records: list[dict], as_of: dt.date | None = None) -> list[tuple[dict, list[str]]] | None:
    """Evaluate records as one frame with the plan of :meth:`Ruleset.evaluate_one`.

    Returns, per record, the results exactly as ``evaluate_one`` gives them and the names of
    the factors that fired; None when some record cannot be evaluated (an unknown field, a
    value that does not convert...), so that the caller can find which one, and why.
    """
    import polars as pl

    from ...compiler.packing import unpack
    from ...compiler.plan import compile_ruleset
    from ...model.columns import BAD
    from ...runners.one import evaluate_records_frame, record_result

    plan = compile_ruleset(ruleset, as_of)
    try:
        _, collected = evaluate_records_frame(plan, records)
    except (SalesrulesError, pl.exceptions.PolarsError):
        return None
    if collected.height != len(records) or collected[BAD].any():
        return None
    factor_columns = list(plan.manifest.factors.items())
    return [
        (record_result(plan, row), [name for name, column in factor_columns if row.get(column)])
        for row in unpack(collected).iter_rows(named=True)
    ]


def _evaluate_alone(ruleset, case: Case, as_of) -> tuple[dict, list[str]]:
    """One case on its own: its results, or the error ``evaluate_one`` raises for it."""
    single = evaluate_records(ruleset, [case.record], as_of)
    if single is not None:
        return single[0]
    return ruleset.evaluate_one(case.record, as_of=as_of), []


def _check(case: Case, outcome, as_of, duration) -> CaseResult:
    """The result of a case from its evaluation: (results, fired factors) or an exception."""
    result = CaseResult(case.name, loc=case.loc, as_of=as_of, duration=duration)
    if isinstance(outcome, BaseException):
        message = outcome.message if isinstance(outcome, SalesrulesError) else f"{type(outcome).__name__}: {outcome}"
        if case.error and case.error in message:
            return result
        result.error = (f"expected an error containing {case.error!r}, got: {message}" if case.error
                        else message)
        return result
    actual, fired = outcome
    actual = dict(actual)
    actual[FACTORS] = fired
    result.actual, result.factors = actual, fired
    if case.error:
        result.error = f"expected an error containing {case.error!r}, but the record evaluated without error"
        return result
    result.mismatches = compare(case.expect, actual)
    return result


def run_cases(ruleset, cases: list[Case], default_as_of: dt.date | None = None) -> list[CaseResult]:
    """Run ``cases`` against ``ruleset``.

    The cases that share an as-of date are evaluated as one frame. When that frame cannot be
    evaluated (a record names a field by an alias that another names directly, a value does
    not convert...), the cases that give the same fields are tried together, and a case that
    still fails runs alone, so that its error is the one ``evaluate_one`` reports.
    """
    results: list[CaseResult | None] = [None] * len(cases)
    groups: dict = {}
    for i, case in enumerate(cases):
        groups.setdefault(_group_as_of(case, default_as_of, ruleset), []).append(i)
    for as_of, indexes in groups.items():
        batch = [i for i in indexes if not cases[i].error]
        alone = [i for i in indexes if cases[i].error]
        if not _run_batch(ruleset, cases, batch, as_of, results):
            by_fields: dict = {}
            for i in batch:
                by_fields.setdefault(frozenset(cases[i].record), []).append(i)
            for same in by_fields.values():
                if len(same) == 1 or not _run_batch(ruleset, cases, same, as_of, results):
                    alone.extend(same)
        for i in sorted(alone):
            started = time.perf_counter()
            try:
                outcome = _evaluate_alone(ruleset, cases[i], as_of)
            except Exception as exc:  # noqa: BLE001 - any failure is the case's failure, not a crash
                outcome = exc
            results[i] = _check(cases[i], outcome, as_of, time.perf_counter() - started)
    return results


def _run_batch(ruleset, cases: list[Case], batch: list[int], as_of, results: list) -> bool:
    """Evaluate the cases ``batch`` as one frame and record their results; False when it cannot."""
    if not batch:
        return True
    started = time.perf_counter()
    try:
        outcomes = evaluate_records(ruleset, [cases[i].record for i in batch], as_of)
    except Exception:  # noqa: BLE001 - the cases then run in smaller groups or alone
        return False
    if outcomes is None:
        return False
    each = (time.perf_counter() - started) / len(batch)
    for i, outcome in zip(batch, outcomes):
        results[i] = _check(cases[i], outcome, as_of, each)
    return True


def run_case(ruleset, case: Case) -> CaseResult:
    """Evaluate one test case: one of the ruleset's ``tests:`` or any :class:`Case`."""
    return run_cases(ruleset, [_case(case)])[0]


def run_tests(ruleset) -> list[CaseResult]:
    """Run every test case of ``ruleset`` (its ``tests:``)."""
    return run_cases(ruleset, [_case(t) for t in ruleset.tests])


def run_suite(suite: Suite) -> list[CaseResult]:
    """Run the cases of a loaded :class:`Suite`."""
    if suite.error is not None or not suite.cases:
        return []
    return run_cases(suite.ruleset, suite.cases, suite.as_of)


@dataclass
class Run:
    """A whole run: each suite with its results."""

    runs: list[tuple[Suite, list[CaseResult]]]
    duration: float = 0.0

    @property
    def passed(self) -> int:
        return sum(r.passed for _, results in self.runs for r in results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for _, results in self.runs for r in results)

    @property
    def errors(self) -> list[SalesrulesError]:
        return [s.error for s, _ in self.runs if s.error is not None]

    def summary(self) -> str:
        """``N passed, M failed`` (and ``, K errors`` when files could not be loaded)."""
        text = f"{self.passed} passed, {self.failed} failed"
        if self.errors:
            text += f", {len(self.errors)} error{'s' if len(self.errors) != 1 else ''}"
        return text


def run(paths, name_filter: str | None = None) -> Run:
    """Collect and run the tests of ``paths``; ``name_filter`` keeps the cases whose name contains it."""
    started = time.perf_counter()
    loader = _Loader()
    runs = []
    for suite in collect(paths, loader):
        if name_filter:
            suite.cases = [c for c in suite.cases if name_filter.lower() in c.name.lower()]
        runs.append((suite, run_suite(suite)))
    return Run(runs, time.perf_counter() - started)
