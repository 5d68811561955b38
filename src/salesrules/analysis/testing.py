"""Running the tests of rulesets: the ``tests:`` of a ruleset and ``*.test.yaml`` files.

A test case gives a partial ``record``, an optional ``as_of`` date and either the results it
expects (``expect``: any result column, plus ``factors``, the names of the factors that fired)
or a fragment of the error it expects (``error``). A test file keeps cases next to, not inside,
the ruleset they test::

    ruleset: acme.yaml          # a path relative to this file, or builtin:NAME
    as_of: 2026-11-22           # optional default for the cases below
    tests:
      - name: a big deal is high
        record: {deal_value: 2_000_000}
        expect: {tier: high}

The cases of one ruleset that share an as-of date are evaluated together, as one frame, with
the same plan that :meth:`Ruleset.evaluate_one` uses; a case whose record cannot be evaluated
is then run on its own so that its error is exactly the one ``evaluate_one`` reports.

``salesrules test`` (:mod:`salesrules.cli.test`) runs them with pytest-like output, JSON or JUnit
XML reports and rule coverage; :mod:`salesrules.pytest_plugin` runs them under pytest.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import (
    ErrorList,
    InputError,
    Loc,
    RulesetError,
    SalesrulesError,
    UsageError,
    did_you_mean,
)
from ..loader.schema import describe_value
from ..model.dates import parse_date
from ..model.sections import TestCase

TEST_FILE_SUFFIX = ".test.yaml"
FACTORS = "factors"
_TEST_FILE_KEYS = ("ruleset", "as_of", "description", "tests")
_CASE_KEYS = ("name", "as_of", "record", "expect", "error")
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


class TestFileError(InputError):
    """A ``*.test.yaml`` file is malformed (exit code 2)."""

    __test__ = False  # not a pytest test class


# ---------------------------------------------------------------- the model


Case = TestCase  # one test case, from a ruleset's ``tests:`` or from a test file


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


@dataclass
class Suite:
    """The cases of one file (a ruleset with tests, or a test file) and the ruleset they test.

    ``error`` is set when the file or its ruleset cannot be loaded; there are then no cases.
    """

    __test__ = False

    path: str
    kind: str  # "ruleset" or "test file"
    cases: list[Case] = field(default_factory=list)
    ruleset: Any = None
    ruleset_ref: str | None = None
    as_of: dt.date | None = None
    error: SalesrulesError | None = None


# ---------------------------------------------------------------- comparing


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


def _plain(value):
    """YAML values (located strings, mappings, lists) as plain Python values."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _json_value(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if value is NO_SUCH_RESULT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


# ---------------------------------------------------------------- evaluating


def _group_as_of(case: Case, suite_as_of, ruleset) -> dt.date | None:
    return case.as_of or suite_as_of or ruleset.as_of


def evaluate_records(ruleset, records: list[dict], as_of: dt.date | None = None) -> list[tuple[dict, list[str]]] | None:
    """Evaluate records as one frame with the plan of :meth:`Ruleset.evaluate_one`.

    Returns, per record, the results exactly as ``evaluate_one`` gives them and the names of
    the factors that fired; None when some record cannot be evaluated (an unknown field, a
    value that does not convert...), so that the caller can find which one, and why.
    """
    import polars as pl

    from ..compiler.packing import unpack
    from ..compiler.plan import compile_ruleset
    from ..model.columns import BAD
    from ..runners.one import evaluate_records_frame, record_result

    plan = compile_ruleset(ruleset, as_of)
    try:
        _, collected = evaluate_records_frame(plan, records)
    except (SalesrulesError, pl.exceptions.PolarsError):
        return None
    if collected.height != len(records) or collected[BAD].any():
        return None
    factor_columns = [(f.name, f"__factor:{f.name}") for f in ruleset.factors]
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


def _case(test: Case) -> Case:
    """The case with its record and expectations as plain Python values."""
    return dataclasses.replace(test, record=_plain(test.record), expect=_plain(test.expect))


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


# ---------------------------------------------------------------- test files


def is_test_file(path) -> bool:
    """Whether ``path`` is named like a test file (``*.test.yaml``)."""
    return str(path).endswith(TEST_FILE_SUFFIX)


def has_tests(path) -> bool:
    """Whether ``path`` is a test file or a YAML ruleset with ``tests:`` (cheap: the YAML is only parsed).

    A YAML file that is not a ruleset is not collected; one that looks like a ruleset but cannot
    be parsed is, so that its error is reported.
    """
    from ..loader.yamlsource import load_yaml

    path = Path(path)
    if is_test_file(path):
        return True
    if path.suffix != ".yaml":
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    try:
        data = load_yaml(text, str(path))
    except SalesrulesError:
        return any(line.startswith("salesrules:") for line in text.splitlines()) and "\ntests:" in text
    return isinstance(data, dict) and "salesrules" in data and bool(data.get("tests"))



def _date(value, loc, what: str) -> dt.date:
    try:
        return parse_date(value)
    except ValueError:
        raise TestFileError(f"{what}: {value!r} is not a date (YYYY-MM-DD)", loc) from None


def _unknown_keys(mapping, allowed, where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise TestFileError(f"{where}unknown key {key!r}{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}",
                                mapping.key_locs.get(key, mapping.loc))


def read_test_file(path) -> tuple[str, Loc, dt.date | None, list[Case]]:
    """Read and check a test file: the ruleset reference (and where it is), the default as-of date and the cases."""
    from ..loader.yamlsource import YDict, YList, load_yaml

    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TestFileError("test file not found", Loc(source)) from None
    except UnicodeDecodeError as exc:
        raise TestFileError(f"not UTF-8 text (byte {exc.start})", Loc(source)) from None
    except OSError as exc:
        raise TestFileError(f"cannot read test file: {exc.strerror}", Loc(source)) from None
    try:
        data = load_yaml(text, source)
    except RulesetError as exc:
        raise TestFileError(exc.message, exc.loc) from None
    if not isinstance(data, YDict):
        raise TestFileError(f"a test file must be a mapping with 'ruleset' and 'tests', this file is {describe_value(data)}",
                            getattr(data, "loc", None) or Loc(source, 1, 1))
    _unknown_keys(data, _TEST_FILE_KEYS, "")
    if "ruleset" not in data:
        raise TestFileError("'ruleset' is required: the path of the ruleset under test (relative to this file) or builtin:NAME",
                            data.loc)
    ref = data["ruleset"]
    if not isinstance(ref, str) or not ref.strip():
        raise TestFileError(f"ruleset: should be a path or builtin:NAME, not {describe_value(ref)}", data.loc_of("ruleset"))
    as_of = _date(data["as_of"], data.loc_of("as_of"), "as_of") if data.get("as_of") is not None else None
    if "tests" not in data:
        raise TestFileError("'tests' is required: a list of test cases", data.loc)
    tests = data["tests"]
    if not isinstance(tests, YList):
        raise TestFileError(f"tests: should be a list of test cases, not {describe_value(tests)}", data.loc_of("tests"))
    if not tests:
        raise TestFileError("tests: the list is empty", data.loc_of("tests"))
    cases, seen = [], {}
    for i, item in enumerate(tests):
        loc = tests.item_locs[i]
        where = f"tests[{i + 1}]: "
        if not isinstance(item, YDict):
            raise TestFileError(f"{where}a test case should be a mapping with name, record and expect, not {describe_value(item)}", loc)
        _unknown_keys(item, _CASE_KEYS, where)
        name = item.get("name")
        if not isinstance(name, str) or not name.strip():
            raise TestFileError(f"{where}every test case needs a name", item.loc_of("name") if "name" in item else loc)
        if name in seen:
            raise TestFileError(f"{where}two test cases are named {name!r} (the first at line {seen[name].line})", item.loc_of("name"))
        seen[name] = loc
        record = item.get("record", {})
        if record is None:
            record = {}
        if not isinstance(record, dict):
            raise TestFileError(f"{where}record: should be a mapping of field values, not {describe_value(record)}", item.loc_of("record"))
        expect = item.get("expect", {})
        if expect is None:
            expect = {}
        if not isinstance(expect, dict):
            raise TestFileError(f"{where}expect: should be a mapping of result values, not {describe_value(expect)}", item.loc_of("expect"))
        error = item.get("error")
        if error is not None and (not isinstance(error, str) or not error):
            raise TestFileError(f"{where}error: should be a fragment of the expected error message, not {describe_value(error)}",
                                item.loc_of("error"))
        if error is not None and expect:
            raise TestFileError(f"{where}a test case expects either results (expect) or an error (error), not both",
                                item.key_locs["error"])
        case_as_of = _date(item["as_of"], item.loc_of("as_of"), f"{where}as_of") if item.get("as_of") is not None else None
        cases.append(Case(str(name), _plain(record), _plain(expect), case_as_of, None if error is None else str(error), loc))
    return str(ref), data.loc_of("ruleset"), as_of, cases


def _is_reference(ref: str) -> bool:
    """``builtin:NAME`` or ``plugin:NAME`` rather than a path."""
    return ":" in ref and not Path(ref).exists() and len(ref.split(":", 1)[0]) > 1


class _Loader:
    """Loads each ruleset once, however many files test it."""

    def __init__(self):
        self.cache: dict = {}

    def load(self, ref: str):
        from ..loader.load import load

        key = ref if _is_reference(ref) else os.path.realpath(ref)
        if key not in self.cache:
            try:
                self.cache[key] = load(ref)
            except SalesrulesError as exc:
                self.cache[key] = exc
        value = self.cache[key]
        if isinstance(value, SalesrulesError):
            raise value
        return value


def load_suite(path, loader: _Loader | None = None) -> Suite:
    """Load the cases of a file: a test file (``*.test.yaml``), a ruleset file or ``builtin:NAME``.

    Errors do not raise: they are the suite's ``error``.
    """
    loader = loader or _Loader()
    path = str(path)
    if is_test_file(path):
        suite = Suite(path, "test file")
        try:
            ref, ref_loc, suite.as_of, suite.cases = read_test_file(path)
            if not _is_reference(ref):
                target = Path(ref)
                if not target.is_absolute():
                    target = Path(path).parent / target
                if not target.is_file():
                    looked = f" (looked for {target})" if str(target) != ref else ""
                    raise TestFileError(f"ruleset {ref!r} not found{looked}", ref_loc)
                ref = str(target)
            suite.ruleset_ref = ref
            suite.ruleset = loader.load(ref)
        except SalesrulesError as exc:
            suite.error, suite.cases = exc, []
        return suite
    suite = Suite(path, "ruleset", ruleset_ref=path)
    try:
        suite.ruleset = loader.load(path)
    except SalesrulesError as exc:
        suite.error = exc
        return suite
    suite.cases = [_case(t) for t in suite.ruleset.tests]
    return suite


def collect(paths, loader: _Loader | None = None) -> list[Suite]:
    """The suites of ``paths``: files, ``builtin:NAME`` and folders searched recursively.

    A folder contributes its ``*.test.yaml`` files and its ``*.yaml`` rulesets that have tests,
    in path order; hidden folders are skipped. A path that does not exist is a usage error.
    """
    loader = loader or _Loader()
    files: list[str] = []
    for p in paths:
        p = str(p)
        if Path(p).is_dir():
            files.extend(_walk(Path(p)))
        elif Path(p).exists() or _is_reference(p):
            files.append(p)
        else:
            raise UsageError("no such file or directory", Loc(p))
    seen, suites = set(), []
    for f in files:
        key = f if _is_reference(f) else os.path.realpath(f)
        if key in seen:
            continue
        seen.add(key)
        suites.append(load_suite(f, loader))
    return suites


def _walk(root: Path) -> list[str]:
    """The files with tests under ``root``, in path order (folders and files sorted together)."""
    found = []
    for directory, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.startswith(".") and d not in _SKIP_DIRS]
        for name in filenames:
            path = Path(directory) / name
            if name.endswith(".yaml") and has_tests(path):
                found.append(path)
    return [str(p) for p in sorted(found, key=lambda p: p.parts)]


# ---------------------------------------------------------------- coverage


@dataclass
class Coverage:
    """Which levels, stages, factors, bands and actions of one ruleset the tests exercised."""

    ruleset: Any
    path: str
    items: dict  # (kind, group, name) -> exercised

    @property
    def total(self) -> int:
        return len(self.items)

    @property
    def exercised(self) -> int:
        return sum(self.items.values())

    @property
    def percent(self) -> float:
        return 100.0 * self.exercised / self.total if self.total else 100.0

    def missed(self) -> dict:
        """What no test exercised, by kind: levels and bands grouped by classification and score."""
        out: dict = {"levels": {}, "stages": [], "factors": [], "bands": {}, "actions": []}
        for (kind, group, name), hit in self.items.items():
            if hit:
                continue
            if kind in ("levels", "bands"):
                out[kind].setdefault(group, []).append(name)
            else:
                out[kind].append(name)
        return out


def _coverage_items(ruleset) -> dict:
    items = {}
    for c in ruleset.classifications:
        for level in c.levels:
            items[("levels", c.name, level.name)] = False
    for stage in ruleset.stages:
        items[("stages", None, stage.name)] = False
    for factor in ruleset.factors:
        items[("factors", None, factor.name)] = False
    for score in ruleset.scores.values():
        for band in score.bands:
            items[("bands", score.name, band.name)] = False
    for action in ruleset.actions:
        items[("actions", None, action.name)] = False
    return items


def _mark(items: dict, ruleset, actual: dict) -> None:
    def hit(key):
        if key in items:
            items[key] = True

    for c in ruleset.classifications:
        hit(("levels", c.name, actual.get(c.name)))
    hit(("stages", None, actual.get("stage")))
    for name in actual.get(FACTORS) or ():
        hit(("factors", None, name))
    for score in ruleset.scores:
        column = f"{score}_band" if len(ruleset.scores) > 1 else "band"
        hit(("bands", score, actual.get(column)))
    for action in actual.get("actions") or ():
        hit(("actions", None, _name(action)))


def coverage(runs: list[tuple[Suite, list[CaseResult]]]) -> list[Coverage]:
    """Rule coverage per ruleset over every case that evaluated, whether it passed or not."""
    by_ruleset: dict = {}
    for suite, results in runs:
        if suite.ruleset is None:
            continue
        key = os.path.realpath(suite.ruleset.path)
        if key not in by_ruleset:
            by_ruleset[key] = Coverage(suite.ruleset, suite.ruleset_ref or suite.ruleset.path, _coverage_items(suite.ruleset))
        cov = by_ruleset[key]
        for result in results:
            if result.actual is not None:
                _mark(cov.items, suite.ruleset, result.actual)
    return list(by_ruleset.values())


def total_percent(coverages: list[Coverage]) -> float:
    total = sum(c.total for c in coverages)
    return 100.0 * sum(c.exercised for c in coverages) / total if total else 100.0


def _percent(value: float) -> str:
    """A percentage with one decimal that never shows 100.0% (or 0.0%) unless it is exactly that."""
    shown = round(value, 1)
    if shown == 100.0 and value < 100.0:
        shown = 99.9
    elif shown == 0.0 and value > 0.0:
        shown = 0.1
    return f"{shown:.1f}%"


def coverage_lines(coverages: list[Coverage]) -> list[str]:
    """The coverage report as text lines."""
    total = sum(c.total for c in coverages)
    exercised = sum(c.exercised for c in coverages)
    lines = [f"coverage: {exercised} of {total} rule items exercised ({_percent(total_percent(coverages))})"]
    for cov in coverages:
        lines.append(f"  {cov.path}: {cov.exercised} of {cov.total} ({_percent(cov.percent)})")
        missed = cov.missed()
        entries = []
        for group, names in missed["levels"].items():
            entries.append((f"{group} levels" if group != "tier" else "tiers", names))
        for kind in ("stages", "factors"):
            if missed[kind]:
                entries.append((kind, missed[kind]))
        for group, names in missed["bands"].items():
            entries.append((f"{group} bands", names))
        if missed["actions"]:
            entries.append(("actions", missed["actions"]))
        if entries:
            lines.append("    not exercised:")
            width = max(len(label) for label, _ in entries) + 1
            for label, names in entries:
                lines.append(f"      {(label + ':').ljust(width)} {', '.join(names)}")
    return lines


def coverage_json(coverages: list[Coverage]) -> dict:
    return {
        "percent": round(total_percent(coverages), 2),
        "exercised": sum(c.exercised for c in coverages),
        "total": sum(c.total for c in coverages),
        "rulesets": [
            {"path": c.path, "name": c.ruleset.name, "percent": round(c.percent, 2), "exercised": c.exercised,
             "total": c.total, "missed": c.missed()}
            for c in coverages
        ],
    }


# ---------------------------------------------------------------- reports


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


def _error_lines(error: SalesrulesError) -> list[str]:
    errors = error.errors if isinstance(error, ErrorList) else [error]
    return [str(e) for e in errors]


def text_report(result: Run, verbose: bool = False, coverages: list[Coverage] | None = None) -> str:
    """The pytest-like report: a line per file, the failures, coverage and the summary."""
    lines = []
    for suite, results in result.runs:
        if suite.error is not None:
            lines.append(f"{suite.path} E")
        elif verbose:
            for r in results:
                lines.append(f"{suite.path}::{r.name} {'PASSED' if r.passed else 'FAILED'}")
        elif results:
            lines.append(f"{suite.path} " + "".join("." if r.passed else "F" for r in results))
        else:
            lines.append(f"{suite.path} (no tests)")
    failures = [(s, r) for s, results in result.runs for r in results if not r.passed]
    for suite, r in failures:
        lines.append("")
        lines.append(f"FAILED {r.loc or suite.path}: {r.name}")
        lines.extend(f"  {line}" for line in r.describe())
    for error in result.errors:
        lines.append("")
        lines.extend(f"ERROR {line}" for line in _error_lines(error))
    if coverages is not None:
        lines.append("")
        lines.extend(coverage_lines(coverages))
    lines.append("")
    lines.append(result.summary())
    return "\n".join(lines) + "\n"


def json_report(result: Run, coverages: list[Coverage] | None = None) -> str:
    """A machine-readable report: a summary, every file with its cases, and coverage."""
    files = []
    for suite, results in result.runs:
        files.append({
            "path": suite.path,
            "kind": suite.kind,
            "ruleset": suite.ruleset_ref,
            "ruleset_name": suite.ruleset.name if suite.ruleset is not None else None,
            "error": "\n".join(_error_lines(suite.error)) if suite.error is not None else None,
            "cases": [
                {
                    "name": r.name,
                    "file": r.loc.file if r.loc else suite.path,
                    "line": r.loc.line if r.loc else None,
                    "as_of": r.as_of.isoformat() if r.as_of else None,
                    "outcome": "passed" if r.passed else "failed",
                    "error": r.error,
                    "mismatches": [
                        {"field": name, "expected": _json_value(expected), "actual": _json_value(_comparable(expected, actual)),
                         **({"message": "no such result"} if actual is NO_SUCH_RESULT else {})}
                        for name, (expected, actual) in r.mismatches.items()
                    ],
                    "duration": round(r.duration, 6),
                }
                for r in results
            ],
        })
    document = {
        "summary": {"passed": result.passed, "failed": result.failed, "errors": len(result.errors),
                    "total": result.passed + result.failed, "duration": round(result.duration, 6)},
        "files": files,
    }
    if coverages is not None:
        document["coverage"] = coverage_json(coverages)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def junit_report(result: Run) -> str:
    """JUnit XML: a testsuite per file, a testcase per case, failures with their messages."""
    import xml.etree.ElementTree as ET

    root = ET.Element("testsuites", {
        "name": "salesrules", "tests": str(result.passed + result.failed + len(result.errors)),
        "failures": str(result.failed), "errors": str(len(result.errors)), "time": f"{result.duration:.3f}",
    })
    for suite, results in result.runs:
        failures = sum(not r.passed for r in results)
        errors = 1 if suite.error is not None else 0
        element = ET.SubElement(root, "testsuite", {
            "name": suite.path, "tests": str(len(results) + errors), "failures": str(failures),
            "errors": str(errors), "skipped": "0", "time": f"{sum(r.duration for r in results):.3f}",
            "file": suite.path,
        })
        if suite.error is not None:
            case = ET.SubElement(element, "testcase", {"classname": suite.path, "name": "(load)", "file": suite.path, "time": "0"})
            text = "\n".join(_error_lines(suite.error))
            error = ET.SubElement(case, "error", {"message": text.splitlines()[0], "type": type(suite.error).__name__})
            error.text = text
        for r in results:
            attributes = {"classname": suite.path, "name": r.name, "file": r.loc.file if r.loc else suite.path,
                          "time": f"{r.duration:.3f}"}
            if r.loc and r.loc.line:
                attributes["line"] = str(r.loc.line)
            case = ET.SubElement(element, "testcase", attributes)
            if not r.passed:
                details = r.describe()
                failure = ET.SubElement(case, "failure", {"message": "; ".join(r.describe(align=False)),
                                                          "type": "AssertionError"})
                failure.text = f"{r.loc or suite.path}: {r.name}\n" + "\n".join(details)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"

