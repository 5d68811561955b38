"""A plugin as a third party ships it: generated from the template, built and installed into a
fresh environment beside this one, and used from a ruleset through the command line."""

import json
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from salesrules.scaffold.plugin import new_plugin


@pytest.fixture(scope="module")
def fresh_env(tmp_path_factory):
    """A new virtual environment that sees this one's packages but not its installed plugins' changes."""
    root = tmp_path_factory.mktemp("env")
    venv.EnvBuilder(with_pip=True).create(root / "venv")
    python = root / "venv" / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # The dependencies (salesrules itself, polars...) come from this environment, read-only.
    lines = [f"import site; site.addsitedir({p!r})" for p in site.getsitepackages()]
    (Path(purelib) / "parent_env.pth").write_text("\n".join(lines) + "\n")
    return root, python


def run(python, *args, cwd=None):
    return subprocess.run([str(python), *args], capture_output=True, text=True, cwd=cwd)


def test_template_plugin_installs_and_works_from_the_cli(fresh_env, tmp_path):
    root, python = fresh_env
    package = new_plugin("demo", tmp_path)
    # Built here as its author would build the wheel it publishes, then installed there.
    wheels = tmp_path / "dist"
    build = run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(package))
    assert build.returncode == 0, build.stderr
    wheel = next(wheels.glob("salesrules_demo-0.1.0-*.whl"))
    install = run(python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel))
    assert install.returncode == 0, install.stderr

    listed = run(python, "-m", "salesrules", "plugins")
    assert listed.returncode == 0, listed.stderr
    demo = [p for p in json.loads(listed.stdout) if p["name"] == "demo"]
    assert demo == [{"name": "demo", "hooks": ["register_functions", "register_output_formats", "register_rulesets", "register_signals"],
                     "package": "salesrules-demo", "version": "0.1.0"}]

    assert run(python, "-m", "salesrules", "validate", "builtin:demo").returncode == 0

    ruleset = tmp_path / "company.yaml"
    ruleset.write_text(
        "salesrules: 1\nname: company\nextends: [builtin:demo]\nrequires: ['salesrules-demo>=0.1']\n"
        "factors:\n  - {name: lots_per_head, when: 'per_head(deal_value, contacts) > 100_000', points: 7}\n"
    )
    data = tmp_path / "prospects.csv"
    data.write_text("Opportunity ID,Amount,Contacts\nA,\"$2,000,000\",60\nB,\"$10,000\",20\n")
    result = run(python, "-m", "salesrules", "evaluate", str(data), "-r", str(ruleset), "--as-of", "2026-11-22", "-f", "json")
    assert result.returncode == 0, result.stderr
    records = {r["id"]: r for r in json.loads(result.stdout)["records"]}
    assert records["A"]["score"] == 50 + 10
    assert records["A"]["reasons"] == ["A large team at the account"]
    assert records["B"]["score"] == 10 - 5

    # Its own tests pass where it is installed.
    tests = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(package / "tests"))
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_a_ruleset_needing_an_absent_plugin_says_how_to_install_it(tmp_path):
    ruleset = tmp_path / "company.yaml"
    ruleset.write_text("salesrules: 1\nname: company\nrequires: ['salesrules-demo>=0.1']\n")
    result = subprocess.run([sys.executable, "-m", "salesrules", "validate", str(ruleset)], capture_output=True, text=True)
    assert result.returncode == 2
    assert "pip install 'salesrules-demo>=0.1'" in result.stderr
