"""Running the tests of rulesets: the ``tests:`` of a ruleset and ``*.test.yaml`` files.

A test case gives a partial ``record``, an optional ``as_of`` date and either the results it
expects (``expect``: any result column, plus ``factors``, the names of the factors that fired)
or a fragment of the error it expects (``error``).

- :mod:`.cases`: test files and suites, and collecting them from paths and folders;
- :mod:`.runner`: evaluating the cases, many at a time;
- :mod:`.compare`: what a case expected against what it got;
- :mod:`.coverage`: which rules the cases exercised;
- :mod:`.reports`: text, JSON and JUnit XML reports.

``salesrules test`` (:mod:`salesrules.cli.test`) runs them with pytest-like output;
:mod:`salesrules.pytest_plugin` runs them under pytest.
"""

from .cases import (
    FACTORS,
    TEST_FILE_SUFFIX,
    Case,
    Suite,
    TestFileError,
    collect,
    has_tests,
    is_test_file,
    load_suite,
    read_test_file,
)
from .cases import _plain as _plain
from .compare import NO_SUCH_RESULT, CaseResult, show
from .compare import _same as _same
from .coverage import Coverage, coverage_json, coverage_lines, total_percent
from .reports import json_report, junit_report, text_report
from .runner import (
    Run,
    evaluate_records,
    run,
    run_case,
    run_cases,
    run_suite,
    run_tests,
)

__all__ = [
    "FACTORS", "NO_SUCH_RESULT", "TEST_FILE_SUFFIX", "Case", "CaseResult", "Coverage", "Run", "Suite",
    "TestFileError", "collect", "coverage_json", "coverage_lines", "evaluate_records", "has_tests",
    "is_test_file", "json_report", "junit_report", "load_suite", "read_test_file", "run", "run_case",
    "run_cases", "run_suite", "run_tests", "show", "text_report", "total_percent",
]
