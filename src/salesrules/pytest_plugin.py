"""A pytest plugin that runs ruleset tests as pytest items (opt-in).

Enable it with ``pytest -p salesrules.pytest_plugin`` or ``pytest_plugins =
["salesrules.pytest_plugin"]`` in a conftest. It then collects, in the paths pytest searches,
the ``*.test.yaml`` files and the ``*.yaml`` rulesets that have ``tests:``; each test case is
one item named after the case, and a failure shows expected against actual, field by field.
Nothing else is collected: Python test files and other YAML files are left alone. It also
offers the ``salesrules_plugin`` fixture, which registers a plugin module for one test.
"""

from __future__ import annotations

import os
from contextlib import ExitStack

import pytest

from .analysis.testing import has_tests, load_suite, run_suite
from .errors import ErrorList, Loc
from .plugins import plugin_registered


@pytest.fixture
def salesrules_plugin():
    """Register plugin modules for one test: ``salesrules_plugin(module, name=None)`` registers
    ``module`` (see :func:`salesrules.plugins.plugin_registered`: idempotent, installed or not)
    and returns the registry; everything is undone when the test ends."""
    with ExitStack() as stack:
        yield lambda module, name=None: stack.enter_context(plugin_registered(module, name))


def pytest_collect_file(file_path, parent):
    """Collect ``*.test.yaml`` files and YAML rulesets with ``tests:``; nothing else."""
    if file_path.suffix == ".yaml" and has_tests(file_path):
        return RulesetTestFile.from_parent(parent, path=file_path)
    return None


class CaseFailed(Exception):
    """A ruleset test case did not get what it expected."""


class RulesetTestFile(pytest.File):
    """A ruleset or test file: its cases are the items."""

    _results = None

    def collect(self):
        self.suite = load_suite(self._display(self.path))
        if self.suite.error is not None:
            errors = self.suite.error.errors if isinstance(self.suite.error, ErrorList) else [self.suite.error]
            raise self.CollectError("\n".join(str(e) for e in errors))
        seen: dict[str, int] = {}
        for index, case in enumerate(self.suite.cases):
            seen[case.name] = seen.get(case.name, 0) + 1
            name = case.name if seen[case.name] == 1 else f"{case.name} [{seen[case.name]}]"
            yield RulesetTestItem.from_parent(self, name=name, index=index, case=case)

    def _display(self, path) -> str:
        """The path as the user would write it: relative to the invocation folder when inside it."""
        base = str(self.config.invocation_params.dir)
        relative = os.path.relpath(path, base)
        return str(path) if relative.startswith("..") or os.getcwd() != base else relative

    def result(self, index: int):
        """The result of case ``index``: the file's cases run together on first use."""
        if self._results is None:
            self._results = run_suite(self.suite)
        return self._results[index]


class RulesetTestItem(pytest.Item):
    """One test case of a ruleset."""

    def __init__(self, *, index: int, case, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.case = case

    def runtest(self):
        result = self.parent.result(self.index)
        if not result.passed:
            raise CaseFailed(result)

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseFailed):
            result = excinfo.value.args[0]
            # The expectations first: pytest's short summary shows the first line.
            return "\n".join(result.describe() + [f"{result.loc or self.path}: {result.name}"])
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self):
        loc: Loc | None = self.case.loc
        line = loc.line - 1 if loc is not None and loc.line else None
        return self.path, line, f"ruleset test: {self.case.name}"
