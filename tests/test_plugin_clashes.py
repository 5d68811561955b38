"""Names two plugins provide: only what uses such a name fails, and qualified names pick one."""

import importlib
import json
import sys
import types

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.errors import ExpressionError, RulesetError, UsageError
from salesrules.testing import plugin_registered


def plugin(name, *, ratio=1, ruleset=None, formats=True):
    """A plugin module ``name`` providing the function loss_ratio, the signal exposure, the
    ruleset standard (when ``ruleset`` is a path), and the input and output formats ``lines``."""
    module = types.ModuleType(f"clash_{name}")

    @salesrules.hookimpl
    def register_functions(register):
        register("loss_ratio", lambda call: call.args[0] / call.args[1] * ratio, args=["numeric", "numeric"],
                 returns="number")

    @salesrules.hookimpl
    def register_signals(register):
        register("exposure", lambda inputs: inputs["claims"] * ratio, inputs={"claims": "integer"}, returns="integer")

    module.register_functions = register_functions
    module.register_signals = register_signals
    if ruleset is not None:
        @salesrules.hookimpl
        def register_rulesets(register):
            register("standard", str(ruleset))

        module.register_rulesets = register_rulesets
    if formats:
        @salesrules.hookimpl
        def register_output_formats(register):
            def write_lines(frame, stream, context):
                stream.write(f"{name}: {frame.height}\n")

            register("lines", write_lines, extension=".lines", binary=False)

        @salesrules.hookimpl
        def register_input_formats(register):
            register("lines", lambda path, options: pl.DataFrame({"claims": [ratio]}), extensions=(".lines",))

        module.register_output_formats = register_output_formats
        module.register_input_formats = register_input_formats
    return module


@pytest.fixture
def clashing(tmp_path):
    """Two plugins, insurance and actuarial, providing the same names (the plugin registered
    last is named first)."""
    with plugin_registered(plugin("actuarial", ratio=10), "actuarial"), \
            plugin_registered(plugin("insurance", ratio=1), "insurance") as registry:
        yield registry


def ruleset(tmp_path, when, name="rules.yaml"):
    path = tmp_path / name
    path.write_text("salesrules: 1\nname: t\nfields: {premium: money, claims: integer}\n"
                    f"factors:\n  - name: f\n    when: {when}\n    points: 5\n")
    return path


def test_a_ruleset_that_uses_no_clashing_name_runs(clashing, tmp_path):
    path = ruleset(tmp_path, "claims > 1")
    assert salesrules.load(path).evaluate_one({"premium": 10, "claims": 2})["score"] == 5


def test_a_clashing_function_is_an_error_at_its_call(clashing, tmp_path):
    path = ruleset(tmp_path, "claims > 0 and loss_ratio(claims, premium) > 1")
    with pytest.raises(ExpressionError) as info:
        salesrules.load(path).compile()
    assert str(info.value) == (
        f"{path}:6:26: 'loss_ratio' is provided by plugins 'insurance' and 'actuarial'; "
        "write 'insurance:loss_ratio' or 'actuarial:loss_ratio'"
    )


@pytest.mark.parametrize(("qualified", "score"), [("insurance:loss_ratio", 0), ("actuarial:loss_ratio", 5)])
def test_a_qualified_function_calls_that_plugin(clashing, tmp_path, qualified, score):
    path = ruleset(tmp_path, f"{qualified}(claims, premium) > 1")
    assert salesrules.load(path).evaluate_one({"premium": 10, "claims": 2})["score"] == score


def test_a_clashing_signal_is_an_error_where_it_is_read(clashing, tmp_path):
    path = ruleset(tmp_path, "exposure > 3")
    with pytest.raises(ExpressionError) as info:
        salesrules.load(path).compile()
    assert str(info.value) == (
        f"{path}:6:11: 'exposure' is provided by plugins 'insurance' and 'actuarial'; "
        "write 'insurance:exposure' or 'actuarial:exposure'"
    )


@pytest.mark.parametrize(("qualified", "score"), [("insurance:exposure", 0), ("actuarial:exposure", 5)])
def test_a_qualified_signal_reads_that_plugins_value(clashing, tmp_path, qualified, score):
    path = ruleset(tmp_path, f"{qualified} > 3")
    assert salesrules.load(path).evaluate_one({"premium": 10, "claims": 2})["score"] == score


def test_a_qualified_name_works_without_a_clash(tmp_path):
    with plugin_registered(plugin("insurance", ratio=1), "insurance"):
        path = ruleset(tmp_path, "insurance:loss_ratio(claims, premium) < 1 and insurance:exposure == 2")
        assert salesrules.load(path).evaluate_one({"premium": 10, "claims": 2})["score"] == 5
        plain = ruleset(tmp_path, "loss_ratio(claims, premium) < 1 and exposure == 2", "plain.yaml")
        assert salesrules.load(plain).evaluate_one({"premium": 10, "claims": 2})["score"] == 5


def test_an_unknown_qualifier_is_an_unknown_function(clashing, tmp_path):
    path = ruleset(tmp_path, "nobody:loss_ratio(claims, premium) > 1")
    with pytest.raises(ExpressionError) as info:
        salesrules.load(path).compile()
    assert str(info.value).startswith(f"{path}:6:11: unknown function 'nobody:loss_ratio'")


def test_a_colon_in_text_is_text(clashing, tmp_path):
    path = ruleset(tmp_path, "\"'claims:premium' == 'claims' + ':premium'\"")
    assert salesrules.load(path).evaluate_one({"premium": 10, "claims": 2})["score"] == 5


def test_a_builtin_function_a_plugin_also_registers(tmp_path):
    module = types.ModuleType("clash_dates")

    @salesrules.hookimpl
    def register_functions(register):
        register("days_since", lambda call: call.args[0].dt.day(), args=["date"], returns="integer")

    module.register_functions = register_functions
    with plugin_registered(module, "dates"):
        path = tmp_path / "r.yaml"
        path.write_text("salesrules: 1\nname: t\nfields: {d: date}\n"
                        "factors:\n  - {name: f, when: 'days_since(d) > 3', points: 1}\n")
        with pytest.raises(ExpressionError) as info:
            salesrules.load(path).compile()
        assert str(info.value) == (
            f"{path}:5:22: 'days_since' is provided by plugins 'dates' and 'salesrules'; "
            "write 'dates:days_since' or 'salesrules:days_since'"
        )
        path.write_text(path.read_text().replace("days_since(d)", "salesrules:days_since(d)"))
        assert salesrules.load(path).evaluate_one({"d": "2026-11-01"}, as_of="2026-11-22")["score"] == 1


def test_a_clashing_ruleset_is_an_error_at_the_extends_entry(tmp_path):
    shipped = tmp_path / "shipped.yaml"
    shipped.write_text("salesrules: 1\nname: shipped\nfields: {claims: integer}\n")
    with plugin_registered(plugin("insurance", ruleset=shipped, formats=False), "insurance"):
        child = tmp_path / "child.yaml"
        child.write_text("salesrules: 1\nname: c\nextends:\n  - builtin:standard\n")
        with pytest.raises(RulesetError) as info:
            salesrules.load(child)
        assert str(info.value) == (
            f"{child}:4:5: 'standard' is provided by plugins 'insurance' and 'salesrules'; "
            "write 'insurance:standard' or 'salesrules:standard'"
        )
        child.write_text("salesrules: 1\nname: c\nextends: [insurance:standard]\n")
        assert "claims" in salesrules.load(child).fields
        child.write_text("salesrules: 1\nname: c\nextends: [salesrules:standard]\n")
        assert "deal_value" in salesrules.load(child).fields


def test_a_clashing_output_format(clashing, tmp_path, cli_runner):
    from salesrules.cli import cli

    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nA,1\n")
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", "builtin:standard", "-f", "lines"])
    assert result.exit_code == 2
    assert result.stderr == ("error: output format 'lines' is provided by plugins 'insurance' and 'actuarial'; "
                             "write 'insurance:lines' or 'actuarial:lines'\n")
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", "builtin:standard", "-f", "actuarial:lines"])
    assert (result.exit_code, result.stdout) == (0, "actuarial: 1\n")
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", "builtin:standard", "-f", "csv"])
    assert result.exit_code == 0, result.output


def test_a_clashing_input_format(clashing, tmp_path):
    from salesrules.io.inputs import read_table

    data = tmp_path / "p.txt"
    data.write_text("x")
    with pytest.raises(UsageError) as info:
        read_table(str(data), format="lines")
    assert str(info.value) == ("input format 'lines' is provided by plugins 'insurance' and 'actuarial'; "
                               "write 'insurance:lines' or 'actuarial:lines'")
    frame = read_table(str(data), format="actuarial:lines")
    assert frame.collect().to_dicts() == [{"claims": 10}]


def test_an_extension_two_plugins_claim_selects_one_by_its_qualified_name(clashing):
    from salesrules.io.inputs import input_format_for
    from salesrules.io.outputs import format_for_path

    assert input_format_for("p.lines") == "insurance:lines"
    assert format_for_path("out.lines", "csv") == "insurance:lines"


def test_the_plugins_command_flags_clashes(clashing, cli_runner):
    from salesrules.cli import cli

    result = cli_runner.invoke(cli, ["plugins"])
    assert result.exit_code == 0, result.output
    listed = {p["name"]: p for p in json.loads(result.stdout)}
    kinds = ["function", "signal", "input format", "output format"]
    assert listed["insurance"]["clashes"] == [
        {"kind": kind, "name": name, "also_in": ["actuarial"], "write": f"insurance:{name}"}
        for kind, name in zip(kinds, ["loss_ratio", "exposure", "lines", "lines"])
    ]
    assert result.stderr.splitlines() == [
        f"warning: {kind} {name!r} is provided by plugins 'insurance' and 'actuarial'; "
        f"write 'insurance:{name}' or 'actuarial:{name}'"
        for kind, name in zip(kinds, ["loss_ratio", "exposure", "lines", "lines"])
    ]


@pytest.fixture
def fresh_loading(monkeypatch):
    """Let load_plugins run again, with entry-point loading recorded instead of performed; the
    plugins it blocks are unblocked after the test."""
    from salesrules import plugins

    calls = []
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setattr(sys, "_salesrules_test_no_entrypoints", False)
    monkeypatch.setattr(plugins.pm, "load_setuptools_entrypoints", lambda group, name=None: calls.append((group, name)))
    monkeypatch.delenv("SALESRULES_LOAD_PLUGINS", raising=False)
    yield calls
    for name in ("saas", "manufacturing", "salesrules-saas", "salesrules_manufacturing", "nosuch", "acme",
                 "salesrules.default_plugins.output_crm"):
        if plugins.pm.is_blocked(name):
            plugins.pm.unblock(name)
    for name in plugins.DEFAULT_PLUGINS:  # blocking a registered plugin unregistered it
        if plugins.pm.get_plugin(name) is None:
            plugins.pm.register(importlib.import_module(name), name)
    plugins.reset_registry()


@pytest.mark.parametrize("value", ["salesrules-saas", "Salesrules_SaaS", "saas"])
def test_disabling_a_plugin_by_its_name_or_its_package(fresh_loading, monkeypatch, capsys, value):
    from salesrules import plugins

    monkeypatch.setenv("SALESRULES_DISABLE_PLUGINS", value)
    plugins.load_plugins()
    assert plugins.pm.is_blocked("saas") and not plugins.pm.is_blocked("manufacturing")
    assert capsys.readouterr().err == ""


def test_disabling_a_builtin_plugin_by_its_name(fresh_loading, monkeypatch, capsys):
    from salesrules import plugins

    monkeypatch.setenv("SALESRULES_DISABLE_PLUGINS", "salesrules.default_plugins.output_crm")
    plugins.load_plugins()
    assert plugins.pm.is_blocked("salesrules.default_plugins.output_crm")
    assert capsys.readouterr().err == ""
    assert "salesforce-csv" not in plugins.get_registry().output_formats


def test_disabling_an_unknown_name_warns_in_one_line(fresh_loading, monkeypatch, capsys):
    from salesrules import plugins

    monkeypatch.setenv("SALESRULES_DISABLE_PLUGINS", " nosuch , salesrules_manufacturing")
    plugins.load_plugins()
    assert plugins.pm.is_blocked("manufacturing") and plugins.pm.is_blocked("nosuch")
    assert capsys.readouterr().err == (
        "warning: SALESRULES_DISABLE_PLUGINS names 'nosuch', which is neither a plugin nor a package of plugins "
        "(installed plugins: manufacturing, saas)\n"
    )


def test_the_builtin_plugins_are_back_after_disabling_tests():
    from salesrules.plugins import get_registry

    assert "salesforce-csv" in get_registry().output_formats


PIECES = ["a", "b", "x1", ":", " ", "(", ")", "[", "]", "{", "}", ",", "1", "'s:t'", "+", "lambda ", "=", 'f"{a:b}"',
          " if ", " else ", "not "]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=12))
def test_no_python_expression_is_read_as_a_qualified_name(pieces):
    """A colon is read as joining a plugin's name to a name only where Python would refuse the
    text: no expression Python reads changes meaning."""
    import ast
    import warnings

    from salesrules.language.syntax import qualifying_colons

    text = "".join(pieces)
    if not qualifying_colons(text):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(SyntaxError):
            ast.parse(text, mode="eval")


def test_qualified_names_where_calls_and_lists_allow_them():
    from salesrules.language.syntax import qualifying_colons

    assert qualifying_colons("a:b(c:d) + e:f") == {1, 5, 12}
    assert qualifying_colons("x in [a:b]") == {7}
    assert qualifying_colons("x[a:b] or {a:b} or 'a:b' or a :b or lambda a:b") == set()
