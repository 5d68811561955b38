import sys


def pytest_configure(config):
    # The tests register the plugin themselves; an installed copy loaded through its entry
    # point would be registered twice.
    sys._salesrules_test_no_entrypoints = True
