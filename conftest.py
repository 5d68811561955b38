"""The test session of the whole repository: the core and the first-party plugins.

Installed plugin packages are not loaded from their entry points while it runs, so that what
the tests see does not depend on what else the environment holds; each plugin's tests register
their plugin themselves with ``salesrules.testing.plugin_registered``. Commands the tests run in
a process of their own load the installed plugins as usual.

The cache of loaded rulesets is a temporary directory of the session's own (each worker's), never
the user's: the tests neither read what earlier runs left nor leave anything behind.
"""

import os
import shutil
import sys
import tempfile


def pytest_configure(config):
    sys._salesrules_test_no_entrypoints = True
    directory = tempfile.mkdtemp(prefix="salesrules-cache-")
    config._salesrules_cache_dir = directory
    os.environ["SALESRULES_CACHE_DIR"] = directory
    os.environ.pop("SALESRULES_NO_CACHE", None)


def pytest_unconfigure(config):
    directory = getattr(config, "_salesrules_cache_dir", None)
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
