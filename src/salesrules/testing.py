"""Stable import path for plugin authors: register a plugin for a test, and run a ruleset's own
tests from a plugin's test suite.

The test runner lives in :mod:`salesrules.analysis.testing` and :func:`plugin_registered` in
:mod:`salesrules.plugins`; plugins written against this module keep working. The pytest plugin
(``-p salesrules.pytest_plugin``) offers the same registration as the ``salesrules_plugin``
fixture.
"""

from .analysis.testing import load_suite, run_suite, run_tests
from .plugins import plugin_registered

__all__ = ["load_suite", "plugin_registered", "run_suite", "run_tests"]
