"""The docs stay true: their rulesets load and pass their own tests, and every command is documented."""

import re
from pathlib import Path

import pytest

import salesrules
from salesrules.analysis.testing import run_tests
from salesrules.cli import cli

ROOT = Path(__file__).parent.parent
DOCS = sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]


def yaml_rulesets():
    for doc in DOCS:
        for i, block in enumerate(re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.S)):
            if block.lstrip().startswith(("salesrules: 1", "# yaml-language-server")):
                yield pytest.param(block, id=f"{doc.name}-{i}")


@pytest.mark.parametrize("text", list(yaml_rulesets()))
def test_documented_rulesets_load_and_pass_their_tests(text, tmp_path):
    path = tmp_path / "ruleset.yaml"
    path.write_text(text)
    ruleset = salesrules.load(path)
    failures = [r for r in run_tests(ruleset) if not r.passed]
    assert not failures, failures


def test_commands_are_documented():
    cli_doc = (ROOT / "docs" / "cli.md").read_text()
    readme = (ROOT / "README.md").read_text()
    for name in cli.commands:
        assert f"salesrules {name}" in cli_doc, name
        assert f"salesrules {name}" in readme, name


def test_every_option_is_in_the_command_line_docs():
    """docs/cli.md names every option of every command (by its short or long name)."""
    import click

    cli_doc = (ROOT / "docs" / "cli.md").read_text()
    documented = lambda option: re.search(re.escape(option) + r"(?![\w-])", cli_doc)
    missing = [
        (name, param.opts)
        for name, command in [("", cli), *cli.commands.items()]
        for param in command.params
        if isinstance(param, click.Option) and param.opts != ["-h", "--help"] and not any(map(documented, param.opts))
    ]
    assert not missing


def test_the_command_line_docs_give_the_batch_and_spill_sizes_of_the_code():
    from salesrules.runners import local as engine
    from salesrules.runners import results

    cli_doc = (ROOT / "docs" / "cli.md").read_text()
    assert f"batches of {engine.BATCH_ROWS:,}" in cli_doc
    assert f"results beyond {results.SPILL_BYTES >> 20} MB" in cli_doc
    assert f"beyond {results.SPILL_BYTES >> 20} MB the" in " ".join(cli.commands["evaluate"].help.split())


def test_commands_have_help(cli_runner):
    for name in cli.commands:
        result = cli_runner.invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert cli.commands[name].help, name


def test_functions_are_documented():
    from salesrules.plugins import get_registry

    doc = (ROOT / "docs" / "expressions.md").read_text()
    for name in get_registry().functions:
        assert f"`{name}(" in doc, name


def test_readme_quickstart_is_what_ci_runs():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    block = re.search(r"```sh\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(block) == 2
    for command in block:
        assert command in ci


def test_shipped_rulesets_pass_their_tests():
    for path in sorted((ROOT / "rulesets").glob("*.yaml")):
        ruleset = salesrules.load(path)
        assert ruleset.tests, f"{path.name} has no tests"
        failures = [r for r in run_tests(ruleset) if not r.passed]
        assert not failures, (path.name, failures)


def test_plugin_hooks_are_documented():
    from salesrules.plugins import pm

    doc = (ROOT / "docs" / "plugins.md").read_text()
    for name in (n for n in pm.hook.__dict__ if not n.startswith("_")):
        caller = getattr(pm.hook, name)
        args = ", ".join(caller.spec.argnames)
        assert f"### `{name}({args})`" in doc, name


def test_plugin_tutorial_example_works(tmp_path, monkeypatch):
    import importlib

    from salesrules.plugins import pm, reset_registry

    doc = (ROOT / "docs" / "plugins.md").read_text()
    module = re.findall(r"```python\n(.*?)```", doc, re.S)[0]
    rules = re.findall(r"```yaml\n(.*?)```", doc, re.S)[0]
    (tmp_path / "salesrules_acme.py").write_text(module)
    monkeypatch.syspath_prepend(str(tmp_path))
    plugin = importlib.import_module("salesrules_acme")
    pm.register(plugin, name="acme")
    reset_registry()
    try:
        path = tmp_path / "r.yaml"
        path.write_text("salesrules: 1\nname: t\n" + rules)
        ruleset = salesrules.load(path)
        result = ruleset.evaluate_one({"mrr": 10_001, "seats_licensed": 100, "seats_used": 20})
        assert result["score"] == 25
        assert ruleset.evaluate_one({"mrr": 100, "seats_licensed": 10, "seats_used": 20})["score"] == 0
    finally:
        pm.unregister(name="acme")
        reset_registry()


def test_the_readme_python_snippet_runs(monkeypatch):
    """The README's Python example runs as written, from the project's root."""
    readme = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    assert blocks
    monkeypatch.chdir(ROOT)
    for block in blocks:
        namespace: dict = {}
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - the project's own docs
    assert namespace["results"].height == 200 and isinstance(namespace["one"], dict)
    many = namespace["many"]
    assert many[0] == namespace["one"]
    assert [(r["tier"], r["stage"], r["score"], r["rank"], r["gaps"]) for r in many] == [
        ("high", "presentation", 70, None, []), ("low", "prospect", 20, None, ["partly_qualified"])
    ]
    assert namespace["top"].columns == ["id", "score", "rank"] and namespace["top"]["rank"][0] == 1


def test_every_built_in_format_is_in_the_readme():
    """Each input, output and report format the built-in plugins register is named in the README."""
    from salesrules.plugins import get_registry

    readme = (ROOT / "README.md").read_text()
    registry = get_registry()
    builtin = lambda formats: [n for n, f in formats.items() if f.plugin.startswith("salesrules.default_plugins")]
    missing = [n for n in builtin(registry.output_formats) + builtin(registry.report_formats) if f"`{n}`" not in readme]
    missing += [n for n in builtin(registry.input_formats) if not re.search(rf"\b{n}\b", readme, re.I)]
    assert not missing
