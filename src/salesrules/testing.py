"""Stable import path for plugin authors: run a ruleset's own tests from a plugin's test suite.

The test runner lives in :mod:`salesrules.analysis.testing`; plugins written against this
module keep working.
"""

from .analysis.testing import load_suite, run_suite, run_tests

__all__ = ["load_suite", "run_suite", "run_tests"]
