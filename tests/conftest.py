import pytest

pytest_plugins = ["pytester"]


@pytest.fixture
def cli_runner():
    from click.testing import CliRunner

    return CliRunner()
