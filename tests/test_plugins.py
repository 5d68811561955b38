"""The plugin system: every hook, discovery, allow-lists, local plugin folders and plugin failures."""

import datetime as dt
import sys

import click
import polars as pl
import pytest

import salesrules
from salesrules import plugins
from salesrules.errors import PluginError
from salesrules.plugins import get_registry, pm, reset_registry

AS_OF = dt.date(2026, 11, 22)


@pytest.fixture
def register():
    """Register test plugins for one test; they are unregistered afterwards."""
    names = []

    def add(plugin, name):
        pm.register(plugin, name=name)
        names.append(name)
        reset_registry()
        return plugin

    yield add
    for name in names:
        pm.unregister(name=name)
    reset_registry()


def write(tmp_path, text, name="r.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def hook_names():
    return sorted(name for name in pm.hook.__dict__ if not name.startswith("_"))


def test_plugin_hooks_have_tests():
    for name in hook_names():
        assert f"test_hook_{name}" in globals(), name


def test_hook_register_functions(register, tmp_path):
    class Doubling:
        __name__ = "doubling"

        @salesrules.hookimpl
        def register_functions(self, register):
            register("double", lambda call: call.args[0] * 2, args=["numeric"], returns="number")

    register(Doubling(), "doubling")
    ruleset = salesrules.load(write(tmp_path, """salesrules: 1
name: t
fields: {deal_value: money}
factors:
  - {name: big, when: "double(deal_value) > 100", points: 5}
"""))
    assert ruleset.evaluate_one({"deal_value": 60}, as_of=AS_OF)["score"] == 5
    assert ruleset.evaluate_one({"deal_value": 40}, as_of=AS_OF)["score"] == 0


def test_hook_register_signals(register, tmp_path):
    class Thousands:
        __name__ = "thousands"

        @salesrules.hookimpl
        def register_signals(self, register):
            register("deal_k", lambda inputs: inputs["deal_value"] / 1000, inputs={"deal_value": "money"}, returns="number")

    register(Thousands(), "thousands")
    ruleset = salesrules.load(write(tmp_path, """salesrules: 1
name: t
fields: {deal_value: money}
tiers:
  - {name: big, when: "deal_k >= 500", points: 10}
  - {name: small, points: 1}
"""))
    results = ruleset.evaluate([{"deal_value": 500_000}, {"deal_value": 499_999}], as_of=AS_OF)
    assert results["tier"].to_list() == ["big", "small"]


def test_hook_register_rulesets(register, tmp_path):
    path = write(tmp_path, "salesrules: 1\nname: shipped\ntiers:\n  - {name: any, points: 3}\n")

    class Shipping:
        __name__ = "shipping"

        @salesrules.hookimpl
        def register_rulesets(self, register):
            register("shipped", str(path))

    register(Shipping(), "shipping")
    assert salesrules.load("builtin:shipped").name == "shipped"
    assert salesrules.load("shipping:shipped").name == "shipped"
    child = write(tmp_path, "salesrules: 1\nname: child\nextends: [builtin:shipped]\n", "child.yaml")
    assert salesrules.load(child).evaluate_one({}, as_of=AS_OF)["score"] == 3
    with pytest.raises(salesrules.RulesetError, match="unknown ruleset 'other:shipped'"):
        salesrules.load("other:shipped")


def test_hook_register_input_formats(register, tmp_path):
    class Pipes:
        __name__ = "pipes"

        @salesrules.hookimpl
        def register_input_formats(self, register):
            register("pipes", lambda path, options: pl.scan_csv(path, separator="|", infer_schema=False), extensions=(".psv",))

    register(Pipes(), "pipes")
    data = tmp_path / "p.psv"
    data.write_text("Opportunity ID|Amount\nA|2000000\n")
    results = salesrules.load("builtin:standard").evaluate(str(data), as_of=AS_OF)
    assert results.select("id", "tier").row(0) == ("A", "high")


def test_hook_register_output_formats(register, tmp_path, cli_runner):
    from salesrules.cli import cli

    class Ids:
        __name__ = "ids"

        @salesrules.hookimpl
        def register_output_formats(self, register):
            def write_ids(frame, stream, context):
                stream.write("\n".join(frame[context.key].to_list()) + "\n")

            register("ids", write_ids, extension=".ids", binary=False)

    register(Ids(), "ids")
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Amount\nB,1\nA,2\n")
    result = cli_runner.invoke(cli, ["evaluate", str(data), "-r", "builtin:standard", "-f", "ids"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "B\nA\n"


def test_hook_register_report_formats(register, tmp_path, cli_runner):
    from salesrules.cli import cli

    class Totals:
        __name__ = "totals"

        @salesrules.hookimpl
        def register_report_formats(self, register):
            def write_totals(report, stream, context):
                total = report.total.to_dicts()[0]
                stream.write(f"{context.provenance['ruleset']}: {total['open_deals']} open, {total['won_deals']} won\n")

            register("totals", write_totals, extension=".totals", binary=False)

    register(Totals(), "totals")
    data = tmp_path / "p.csv"
    data.write_text("Opportunity ID,Owner,Amount,Stage\nB,ann,1,Prospect\nA,bob,2,Closed Won\nC,ann,3,Negotiation\n")
    out = tmp_path / "pipeline.totals"
    result = cli_runner.invoke(cli, ["report", str(data), "-r", "builtin:standard", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text() == "standard: 2 open, 1 won\n"


def test_hook_register_databases(register, tmp_path):
    import sqlite3

    import adbc_driver_sqlite.dbapi

    class Archive:
        __name__ = "archive"

        @salesrules.hookimpl
        def register_databases(self, register):
            register("archive", lambda url: adbc_driver_sqlite.dbapi.connect(url.split(":///", 1)[1]), schemes=("archive",))

    register(Archive(), "archive")
    path = tmp_path / "sales.data"
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE deals ("Opportunity ID" TEXT, "Amount" TEXT)')
        connection.execute("INSERT INTO deals VALUES ('A', '$2,000,000')")
    connection.close()
    results = salesrules.load("builtin:standard").evaluate(f"archive:///{path}", table="deals", as_of=AS_OF)
    assert results.select("id", "tier").row(0) == ("A", "high")
    # Without a retype, a column whose values change kind after the first batch is one clean error.
    with sqlite3.connect(path) as connection:
        connection.execute('CREATE TABLE mixed ("Opportunity ID" TEXT, "Amount")')
        connection.executemany("INSERT INTO mixed VALUES (?, ?)", [(str(i), 1000) for i in range(2000)] + [("x", "lots")])
    connection.close()
    with pytest.raises(salesrules.InputError) as failure:
        salesrules.load("builtin:standard").evaluate(f"archive:///{path}", table="mixed", as_of=AS_OF)
    assert str(failure.value) == (f"archive:///{path}: cannot read table 'mixed': "
                                  "Type mismatch in column 1: expected INT64 but got STRING/BINARY")


def test_hook_register_ruleset_formats(register, tmp_path):
    class Ini:
        __name__ = "ini"

        @salesrules.hookimpl
        def register_ruleset_formats(self, register):
            def read(path):
                pairs = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
                return {"salesrules": 1, "name": pairs["name"], "fields": {"deal_value": "money"},
                        "tiers": [{"name": "high", "when": f"deal_value > {pairs['high']}"}, {"name": "low"}]}

            register("ini", read, (".ini",))

    register(Ini(), "ini")
    ruleset = salesrules.load(write(tmp_path, "name=from-ini\nhigh=1000\n", "r.ini"))
    assert ruleset.name == "from-ini"
    assert ruleset.evaluate_one({"deal_value": 5000})["tier"] == "high"
    assert ruleset.evaluate_one({"deal_value": 50})["tier"] == "low"


def test_hook_register_commands(register):
    class Hello:
        __name__ = "hello"

        @salesrules.hookimpl
        def register_commands(self, cli):
            @cli.command()
            def hello():
                """Say hello."""
                click.echo("hello")

    register(Hello(), "hello")
    group = click.Group("test")
    pm.hook.register_commands(cli=group)
    assert "hello" in group.commands


def test_two_plugins_registering_one_name_fail_only_what_uses_it(register, tmp_path):
    class One:
        __name__ = "one"

        @salesrules.hookimpl
        def register_functions(self, register):
            register("twice", lambda call: call.args[0], args=["any"], returns="number")

    class Two(One):
        __name__ = "two"

    register(One(), "plugin-one")
    register(Two(), "plugin-two")
    registry = get_registry()
    assert "twice" not in registry.functions and "plugin-one:twice" in registry.functions
    assert registry.functions.clash("twice") == (
        "'twice' is provided by plugins 'plugin-two' and 'plugin-one'; write 'plugin-two:twice' or 'plugin-one:twice'"
    )
    path = write(tmp_path, "salesrules: 1\nname: t\nfields: {n: integer}\nfactors:\n  - {name: f, when: 'n > 1', points: 1}\n")
    assert salesrules.load(path).evaluate_one({"n": 2})["score"] == 1


def test_one_plugin_registering_one_name_twice_is_an_error(register):
    class Twice:
        __name__ = "twice"

        @salesrules.hookimpl
        def register_functions(self, register):
            register("twice", lambda call: call.args[0], args=["any"], returns="number")
            register("twice", lambda call: call.args[0], args=["any"], returns="number")

    register(Twice(), "twice")
    with pytest.raises(PluginError, match="^plugin 'twice' registers the function 'twice' twice$"):
        get_registry()


def test_a_plugin_that_raises_is_named_with_its_hook(register):
    class Broken:
        __name__ = "broken"

        @salesrules.hookimpl
        def register_rulesets(self, register):
            raise RuntimeError("boom")

    register(Broken(), "broken")
    with pytest.raises(PluginError, match="plugin 'broken' failed in register_rulesets: RuntimeError: boom"):
        get_registry()


def test_requires_missing_package(tmp_path):
    path = write(tmp_path, "salesrules: 1\nname: t\nrequires: [salesrules-nosuchplugin>=1.0]\n")
    with pytest.raises(PluginError) as info:
        salesrules.load(path)
    assert "requires salesrules-nosuchplugin>=1.0, which is not installed" in str(info.value)
    assert "pip install 'salesrules-nosuchplugin>=1.0'" in str(info.value)
    assert str(info.value).startswith(f"{path}:3:")


def test_requires_too_old_package(tmp_path):
    path = write(tmp_path, "salesrules: 1\nname: t\nrequires: ['pluggy>=999']\n")
    with pytest.raises(PluginError, match=r"requires pluggy>=999, but pluggy \S+ is installed; upgrade it"):
        salesrules.load(path)


def test_requires_satisfied_and_inherited(tmp_path):
    write(tmp_path, "salesrules: 1\nname: base\nrequires: ['pluggy>=1.0']\n", "base.yaml")
    child = write(tmp_path, "salesrules: 1\nname: c\nextends: [base.yaml]\nrequires: ['click>=8']\n")
    assert salesrules.load(child).requires == ["pluggy>=1.0", "click>=8"]


def test_requires_bad_specifier(tmp_path):
    path = write(tmp_path, "salesrules: 1\nname: t\nrequires: ['not a requirement!!']\n")
    with pytest.raises(salesrules.RulesetError, match="is not a package requirement"):
        salesrules.load(path)


@pytest.fixture
def fresh_loading(monkeypatch):
    """Let load_plugins run again, with entry-point loading recorded instead of performed."""
    calls = []
    monkeypatch.setattr(plugins, "_loaded", False)
    monkeypatch.setattr(sys, "_salesrules_test_no_entrypoints", False)
    monkeypatch.setattr(pm, "load_setuptools_entrypoints", lambda group, name=None: calls.append((group, name)))
    yield calls
    reset_registry()


def test_entry_points_are_loaded_once(fresh_loading, monkeypatch):
    monkeypatch.delenv("SALESRULES_LOAD_PLUGINS", raising=False)
    plugins.load_plugins()
    plugins.load_plugins()
    assert fresh_loading == [("salesrules", None)]


def test_load_plugins_allow_list(fresh_loading, monkeypatch):
    monkeypatch.setenv("SALESRULES_LOAD_PLUGINS", "saas, manufacturing")
    plugins.load_plugins()
    assert fresh_loading == [("salesrules", "saas"), ("salesrules", "manufacturing")]


def test_load_plugins_empty_allow_list_loads_none(fresh_loading, monkeypatch):
    monkeypatch.setenv("SALESRULES_LOAD_PLUGINS", "")
    plugins.load_plugins()
    assert fresh_loading == []


def test_plugins_dir(tmp_path, cli_runner):
    from salesrules.cli import cli

    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "triple.py").write_text(
        "import salesrules\n\n"
        "@salesrules.hookimpl\n"
        "def register_functions(register):\n"
        "    register('triple', lambda call: call.args[0] * 3, args=['numeric'], returns='number')\n"
    )
    ruleset = write(tmp_path, "salesrules: 1\nname: t\nfields: {n: integer}\nfactors:\n  - {name: f, when: 'triple(n) > 10', points: 7}\n")
    data = tmp_path / "d.csv"
    data.write_text("n\n4\n3\n")
    try:
        result = cli_runner.invoke(cli, ["--plugins-dir", str(folder), "evaluate", str(data), "-r", str(ruleset), "-f", "json"])
        assert result.exit_code == 0, result.output
        import json

        assert [r["score"] for r in json.loads(result.stdout)["records"]] == [7, 0]
    finally:
        pm.unregister(name="plugins-dir:triple")
        reset_registry()


def test_plugins_dir_broken_file(tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "bad.py").write_text("raise ValueError('nope')\n")
    with pytest.raises(PluginError, match=r"bad.py: plugin failed to load: ValueError: nope"):
        plugins.register_plugins_dir(str(folder))


def test_signal_without_its_inputs_is_a_ruleset_error(register, tmp_path):
    class Seats:
        __name__ = "seats"

        @salesrules.hookimpl
        def register_signals(self, register):
            register("seats_free", lambda inputs: inputs["licensed"] - inputs["used"],
                     inputs={"licensed": "integer", "used": "integer"}, returns="integer")

    register(Seats(), "seats")
    missing = write(tmp_path, "salesrules: 1\nname: t\nfields: {licensed: integer}\nfactors:\n  - {name: f, when: 'seats_free > 3', points: 1}\n")
    with pytest.raises(salesrules.ExpressionError) as info:
        salesrules.load(missing)
    assert "'seats_free' is a signal of plugin 'seats' that needs a field 'used' (integer)" in str(info.value)
    mistyped = write(tmp_path, "salesrules: 1\nname: t\nfields: {licensed: integer, used: string}\nfactors:\n  - {name: f, when: 'seats_free > 3', points: 1}\n", "m.yaml")
    with pytest.raises(salesrules.ExpressionError, match="needs field 'used' to be integer, not string"):
        salesrules.load(mistyped)
    good = write(tmp_path, "salesrules: 1\nname: t\nfields: {licensed: integer, used: integer}\nfactors:\n  - {name: f, when: 'seats_free > 3', points: 1}\n", "g.yaml")
    assert salesrules.load(good).evaluate_one({"licensed": 10, "used": 2})["score"] == 1


def test_a_plugin_cannot_take_a_builtin_extension(register):
    from salesrules.io.inputs import input_format_for
    from salesrules.io.outputs import format_for_path

    class Greedy:
        __name__ = "greedy"

        @salesrules.hookimpl(tryfirst=True)
        def register_output_formats(self, register):
            register("crm-csv", lambda frame, stream, context: None, extension=".csv")

        @salesrules.hookimpl(tryfirst=True)
        def register_input_formats(self, register):
            register("crm-csv-in", lambda path, options: None, extensions=(".csv", ".crm"))

    register(Greedy(), "greedy")
    assert format_for_path("out.csv", "table") == "csv"
    assert input_format_for("in.csv") == "csv"
    assert input_format_for("in.crm") == "crm-csv-in"


def test_a_function_that_raises_is_named_with_its_plugin(register, tmp_path):
    class Buggy:
        __name__ = "buggy"

        @salesrules.hookimpl
        def register_functions(self, register):
            register("oops", lambda call: 1 / 0, args=["any"], returns="number")

    register(Buggy(), "buggy")
    path = write(tmp_path, "salesrules: 1\nname: t\nfields: {n: integer}\nfactors:\n  - {name: f, when: 'oops(n) > 1', points: 1}\n")
    with pytest.raises(PluginError) as info:
        salesrules.load(path)
    assert str(info.value) == f"{path}:5:22: plugin 'buggy' failed in function oops(): ZeroDivisionError: division by zero"


def test_plugin_registered_adds_a_plugin_for_the_block_only():
    import types

    from salesrules.testing import plugin_registered

    module = types.ModuleType("acme_helper_test")

    @salesrules.hookimpl
    def register_functions(register):
        register("acme_twice", lambda call: call.args[0] * 2, "integer", ["integer"])

    module.register_functions = register_functions
    assert "acme_twice" not in get_registry().functions
    with plugin_registered(module, "acme") as registry:
        assert "acme_twice" in registry.functions
        with plugin_registered(module, "acme") as again:  # idempotent: the same module stays
            assert "acme_twice" in again.functions
        assert "acme_twice" in get_registry().functions
    assert pm.get_plugin("acme") is None
    assert "acme_twice" not in get_registry().functions


def test_plugin_registered_lets_another_holder_of_the_name_step_aside():
    import types

    from salesrules.testing import plugin_registered

    installed, tested = types.ModuleType("acme_installed"), types.ModuleType("acme_tested")
    pm.register(installed, "acme")
    try:
        with plugin_registered(tested, "acme"):
            assert pm.get_plugin("acme") is tested
        assert pm.get_plugin("acme") is installed
    finally:
        pm.unregister(name="acme")
        reset_registry()


def test_the_salesrules_plugin_fixture(pytester):
    pytester.makepyfile('''
        import types
        import salesrules

        def test_it(salesrules_plugin):
            module = types.ModuleType("acme_fixture")

            @salesrules.hookimpl
            def register_functions(register):
                register("acme_thrice", lambda call: call.args[0] * 3, "integer", ["integer"])

            module.register_functions = register_functions
            registry = salesrules_plugin(module, "acme")
            assert "acme_thrice" in registry.functions

        def test_gone_after():
            from salesrules.plugins import get_registry
            assert "acme_thrice" not in get_registry().functions
    ''')
    result = pytester.runpytest("-p", "salesrules.pytest_plugin", "-p", "no:randomly", "-n", "0")
    result.assert_outcomes(passed=2)


def test_a_signal_may_take_the_evaluation_context(tmp_path):
    import types

    from salesrules.functions import SignalContext
    from salesrules.testing import plugin_registered

    seen = []
    module = types.ModuleType("renewals")

    def days_until_renewal(inputs, context):
        seen.append(context)
        return (inputs["renewal_date"] - pl.lit(context.as_of)).dt.total_days()

    @salesrules.hookimpl
    def register_signals(register):
        register("days_until_renewal", days_until_renewal, inputs={"renewal_date": "date"}, returns="integer")
        register("renewal_year", lambda inputs: inputs["renewal_date"].dt.year(), inputs={"renewal_date": "date"},
                 returns="integer")

    module.register_signals = register_signals
    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: r\nfields:\n  renewal_date: date\n"
                    "factors:\n  - {name: soon, when: 'days_until_renewal <= 30 and renewal_year == 2026', points: 7}\n")
    with plugin_registered(module, "renewals"):
        ruleset = salesrules.load(path, as_of=dt.date(2026, 11, 22))
        assert ruleset.evaluate_one({"renewal_date": "2026-12-10"}, as_of=dt.date(2026, 11, 22))["score"] == 7
        assert ruleset.evaluate_one({"renewal_date": "2026-12-10"}, as_of=dt.date(2026, 10, 1))["score"] == 0
    assert SignalContext(dt.date(2026, 11, 22), "days_until_renewal") in seen
    assert SignalContext(dt.date(2026, 10, 1), "days_until_renewal") in seen


PLUGIN_FAILS = """\
salesrules: 1
name: fails
fields:
  id: {type: string, key: true}
  code: string
factors:
  - {name: coded, when: "%s(code) > 1", points: 1}
"""


@pytest.mark.parametrize("function, kind", [("to_int", "ComputeError"), ("as_is", "ComputeError")])
def test_a_plugin_function_failing_on_the_records_is_named_at_its_call(tmp_path, function, kind):
    import types

    from salesrules.testing import plugin_registered

    module = types.ModuleType("fragile")

    @salesrules.hookimpl
    def register_functions(register):
        register("to_int", lambda call: call.args[0].str.to_integer(strict=True), ["string"], "integer")
        register("as_is", lambda call: call.args[0], ["string"], "integer")  # claims integer, gives text

    module.register_functions = register_functions
    path = tmp_path / "r.yaml"
    path.write_text(PLUGIN_FAILS % function)
    data = pl.DataFrame({"id": ["1", "2"], "code": ["12", "x"]})
    with plugin_registered(module, "fragile"):
        ruleset = salesrules.load(path)
        for run in (lambda: ruleset.evaluate(data), lambda: ruleset.evaluate_one({"id": "2", "code": "x"})):
            with pytest.raises(PluginError) as caught:
                run()
            message = str(caught.value)
            assert message.startswith(f"{path}:7:26: function {function}() of plugin 'fragile' failed on the records: ")
            assert kind in message and "\n" not in message


@pytest.mark.parametrize("order", [("salesforce-csv", "csv", "hubspot-csv"), ("csv", "pipedrive-csv"), ("hubspot-csv", "csv")])
def test_a_plain_extension_goes_to_the_format_named_for_it_whatever_the_registration_order(order):
    # The CRM formats also write .csv files; which plugin registered first must not decide what
    # `-o out.csv` writes.
    formats = [plugins.OutputFormat(name, print, extension=".csv", plugin="salesrules.default_plugins.output_csv")
               for name in order]
    assert plugins.by_extension(formats) == {".csv": "csv"}
    assert plugins.by_extension([plugins.OutputFormat("mine", print, extension=".CSV", plugin="mine"), *formats]) == {".csv": "csv"}
