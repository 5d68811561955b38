"""Fixtures of the hostile-input catalogue (see hostile_helpers.py).

Nothing here imports salesrules at import time: when pytest is given files in this folder, this
conftest loads before tests/conftest.py has told salesrules to ignore installed plugins.
"""

import pytest


@pytest.fixture
def ws(tmp_path):
    """A workspace with a ruleset, a data file and an existing output to protect."""
    from hostile_helpers import Workspace

    return Workspace(tmp_path)
