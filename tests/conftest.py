import sys

import pytest


def pytest_configure(config):
    # Installed third-party plugins must not change what the tests see.
    sys._salesrules_test_no_entrypoints = True


@pytest.fixture
def cli_runner():
    from click.testing import CliRunner

    return CliRunner()
