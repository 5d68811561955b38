import sys


def pytest_configure(config):
    # Tests register the plugin themselves (the `saas` fixture), on top of the defaults only,
    # whatever else is installed in the environment.
    sys._salesrules_test_no_entrypoints = True
