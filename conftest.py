"""The test session of the whole repository: the core and the first-party plugins.

Installed plugin packages are not loaded from their entry points while it runs, so that what
the tests see does not depend on what else the environment holds; each plugin's tests register
their plugin themselves with ``salesrules.testing.plugin_registered``. Commands the tests run in
a process of their own load the installed plugins as usual.
"""

import sys


def pytest_configure(config):
    sys._salesrules_test_no_entrypoints = True
