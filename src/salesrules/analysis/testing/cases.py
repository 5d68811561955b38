"""Test files and test cases: reading ``*.test.yaml`` files, and collecting the suites to run.

A test file keeps cases next to, not inside, the ruleset they test::

    ruleset: acme.yaml          # a path relative to this file, or builtin:NAME
    as_of: 2026-11-22           # optional default for the cases below
    tests:
      - name: a big deal is high
        record: {deal_value: 2_000_000}
        expect: {tier: high}

A ruleset's own ``tests:`` are suites too; folders are searched recursively for both.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import (
    InputError,
    Loc,
    RulesetError,
    SalesrulesError,
    UsageError,
    did_you_mean,
)
from ...loader.schema import describe_value
from ...model.dates import parse_date_at
from ...model.sections import TestCase

TEST_FILE_SUFFIX = ".test.yaml"
FACTORS = "factors"
_TEST_FILE_KEYS = ("ruleset", "as_of", "description", "tests")
_CASE_KEYS = ("name", "as_of", "record", "expect", "error")
_SKIP_DIRS = {"__pycache__", "node_modules", "site-packages"}


class TestFileError(InputError):
    """A ``*.test.yaml`` file is malformed (exit code 2)."""

    __test__ = False  # not a pytest test class


Case = TestCase  # one test case, from a ruleset's ``tests:`` or from a test file


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


def _plain(value):
    """YAML values (located strings, mappings, lists) as plain Python values."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)
    return value


def _case(test: Case) -> Case:
    """The case with its record and expectations as plain Python values."""
    return dataclasses.replace(test, record=_plain(test.record), expect=_plain(test.expect))


def is_test_file(path) -> bool:
    """Whether ``path`` is named like a test file (``*.test.yaml``)."""
    return str(path).endswith(TEST_FILE_SUFFIX)


def has_tests(path) -> bool:
    """Whether ``path`` is a test file or a YAML ruleset with ``tests:`` (cheap: the YAML is only parsed).

    A YAML file that is not a ruleset is not collected; one that looks like a ruleset but cannot
    be parsed is, so that its error is reported.
    """
    from ...loader.yamlsource import load_yaml

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


def _unknown_keys(mapping, allowed, where: str) -> None:
    for key in mapping:
        if key not in allowed:
            raise TestFileError(f"{where}unknown key {key!r}{did_you_mean(key, allowed)}; allowed: {', '.join(allowed)}",
                                mapping.key_locs.get(key, mapping.loc))


def read_test_file(path) -> tuple[str, Loc, dt.date | None, list[Case]]:
    """Read and check a test file: the ruleset reference (and where it is), the default as-of date and the cases."""
    from ...loader.yamlsource import YDict, YList, load_yaml

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
    as_of = parse_date_at(data["as_of"], data.loc_of("as_of"), TestFileError, "as_of") if data.get("as_of") is not None else None
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
        case_as_of = parse_date_at(item["as_of"], item.loc_of("as_of"), TestFileError, f"{where}as_of") if item.get("as_of") is not None else None
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
        from ...loader.load import load

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
