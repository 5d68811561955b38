"""``salesrules new-plugin NAME``: a working plugin package with a function, a signal, a ruleset, an
output format and tests."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UsageError

PYPROJECT = '''[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "salesrules-{name}"
version = "0.1.0"
description = "salesrules plugin: {name} scoring signals, functions and ruleset"
requires-python = ">=3.11"
dependencies = ["salesrules"]

[project.optional-dependencies]
test = ["pytest"]

[project.entry-points.salesrules]
{name} = "salesrules_{module}"

[tool.setuptools]
packages = ["salesrules_{module}"]

[tool.setuptools.package-data]
salesrules_{module} = ["*.yaml"]
'''

MODULE = '''"""salesrules plugin for {name}: a function, a signal, a ruleset and an output format."""

from pathlib import Path

import polars as pl

import salesrules


@salesrules.hookimpl
def register_functions(register):
    """Register ``per_head(amount, people)``: an amount shared out per person."""
    register(
        "per_head",
        lambda call: pl.when(call.args[1] > 0).then(call.args[0] / call.args[1]),
        args=["numeric", "numeric"],
        returns="money",
        doc="An amount per person; null when there are no people.",
    )


@salesrules.hookimpl
def register_signals(register):
    """Register ``large_team``: the account has more than 50 contacts."""
    register(
        "large_team",
        lambda inputs: inputs["contacts"] > 50,
        inputs={{"contacts": "integer"}},
        returns="boolean",
        doc="More than 50 contacts at the account.",
    )


@salesrules.hookimpl
def register_rulesets(register):
    """Register the ``{name}`` ruleset."""
    register("{name}", str(Path(__file__).with_name("{name}.yaml")))


def write_contacts(frame, stream, context, fields, ruleset):
    """CSV of each record's key, score and band with its contacts, as the rules read them.

    Naming ``fields`` and ``ruleset`` asks for the typed input fields (one row per result row)
    and the ruleset described; a writer that names neither gets only the results.
    """
    key = ruleset.key or "row"
    contacts = fields.select("contacts") if "contacts" in fields.columns else pl.DataFrame({{"contacts": [None] * frame.height}})
    pl.concat([frame.select(key, "score", "band"), contacts], how="horizontal").write_csv(stream)


@salesrules.hookimpl
def register_output_formats(register):
    """Register the ``{name}-contacts`` output format (``-f {name}-contacts``)."""
    register("{name}-contacts", write_contacts, extension=".contacts.csv", binary=True)
'''

RULESET = '''# The {name} ruleset: the standard model plus this industry's signals.
salesrules: 1
name: {name}
version: "0.1"
extends: [builtin:standard]
requires: [salesrules-{name}]

fields:
  contacts: {{type: integer, aliases: [Contacts, "Number of Contacts"]}}

factors:
  - name: large_team
    when: large_team
    points: 10
    reason: A large team at the account
  - name: small_value_per_contact
    when: "per_head(deal_value, contacts) < 1_000"
    points: -5
    reason: Little value per contact

tests:
  - name: a large team adds points
    as_of: 2026-11-22
    record: {{deal_value: 2_000_000, contacts: 60}}
    expect: {{tier: high, score: 60}}
  - name: little value per contact costs points
    as_of: 2026-11-22
    record: {{deal_value: 10_000, contacts: 20}}
    expect: {{tier: low, score: 5}}
'''

TEST = '''import pytest

import salesrules
import salesrules_{module}
from salesrules.testing import plugin_registered, run_tests


@pytest.fixture
def plugin():
    """This plugin registered for the test, whether or not it is installed."""
    with plugin_registered(salesrules_{module}, "{name}") as registry:
        yield registry


def test_plugin_is_installed():
    from importlib.metadata import entry_points

    assert "{name}" in {{ep.name for ep in entry_points(group="salesrules")}}


def test_ruleset_passes_its_tests(plugin):
    ruleset = salesrules.load("builtin:{name}")
    results = run_tests(ruleset)
    assert results and all(r.passed for r in results), results


def test_per_head(plugin, tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\\nname: t\\nfields: {{v: money, n: integer}}\\n"
                    "factors:\\n  - {{name: f, when: 'per_head(v, n) == 250', points: 1}}\\n")
    ruleset = salesrules.load(path)
    assert ruleset.evaluate_one({{"v": 1000, "n": 4}})["score"] == 1
    assert ruleset.evaluate_one({{"v": 1000, "n": 0}})["score"] == 0


def test_contacts_output_format(plugin, tmp_path):
    from click.testing import CliRunner
    from salesrules.cli import cli

    data = tmp_path / "prospects.csv"
    data.write_text("Opportunity ID,Amount,Number of Contacts\\nA,\\"$2,000,000\\",60\\n")
    out = tmp_path / "out.csv"
    result = CliRunner().invoke(cli, ["evaluate", str(data), "-r", "builtin:{name}", "--as-of", "2026-11-22",
                                      "-f", "{name}-contacts", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == "id,score,band,contacts\\nA,60,B,60\\n"
'''

README = '''# salesrules-{name}

A [salesrules](https://pypi.org/project/salesrules/) plugin: the function `per_head(amount, people)`,
the signal `large_team`, the ruleset `builtin:{name}` and the output format `{name}-contacts`.

    pip install -e .
    salesrules plugins                                   # lists {name}
    salesrules evaluate prospects.csv -r builtin:{name}
    salesrules evaluate prospects.csv -r builtin:{name} -f {name}-contacts -o contacts.csv
    pip install -e '.[test]' && pytest
'''


def new_plugin(name: str, directory: Path) -> Path:
    """Write the package ``salesrules-NAME`` under ``directory`` and return its folder."""
    if not re.fullmatch(r"[a-z][a-z0-9]*(-[a-z0-9]+)*", name):
        raise UsageError(f"plugin name {name!r} must be lower case letters and digits, words joined by -")
    module = name.replace("-", "_")
    root = directory / f"salesrules-{name}"
    if root.exists():
        raise UsageError(f"{root} already exists")
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"salesrules_{module}/__init__.py": MODULE,
        f"salesrules_{module}/{name}.yaml": RULESET,
        f"tests/test_salesrules_{module}.py": TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(name=name, module=module), encoding="utf-8")
    return root
