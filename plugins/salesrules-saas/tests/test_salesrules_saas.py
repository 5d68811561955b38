import datetime as dt
import importlib.metadata
import re
from pathlib import Path

import pluggy
import polars as pl
import pytest
import salesrules_saas

import salesrules
from salesrules import hookspecs
from salesrules.analysis.testing import run_tests
from salesrules.language.functions import NO_LITERAL, Call
from salesrules.model.types import DATE, INTEGER, MONEY
from salesrules.plugins import (
    ENTRY_POINT_GROUP,
    plugin_list,
)
from salesrules.testing import plugin_registered

AS_OF = dt.date(2026, 11, 22)
EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "prospects.csv"


@pytest.fixture
def saas():
    """The registry with this plugin, under its entry-point name, whether or not it is installed."""
    with plugin_registered(salesrules_saas, "saas") as registry:
        yield registry


@pytest.fixture
def ruleset(saas):
    return salesrules.load("builtin:saas")


def test_plugin_is_installed():
    eps = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    ep = next(e for e in eps if e.name == "saas")
    assert ep.value == "salesrules_saas"
    assert ep.dist.metadata["Name"] == "salesrules-saas"
    assert ep.dist.version == "1.0.0"
    assert ep.load() is salesrules_saas

    # A fresh manager with the salesrules hookspecs finds it by its entry-point name.
    fresh = pluggy.PluginManager("salesrules")
    fresh.add_hookspecs(hookspecs)
    fresh.load_setuptools_entrypoints(ENTRY_POINT_GROUP, name="saas")
    assert fresh.get_plugin("saas") is salesrules_saas
    fresh.check_pending()

    # salesrules' own manager lists it, installed or registered for the test.
    with plugin_registered(salesrules_saas, "saas") as registry:
        (listed,) = [p for p in plugin_list() if p["name"] == "saas"]
        assert listed["hooks"] == ["register_functions", "register_rulesets", "register_signals"]
        # The package and its version are known when it came from its entry point.
        assert listed.get("package", "salesrules-saas") == "salesrules-saas"
        assert listed.get("version", "1.0.0") == "1.0.0"
        assert registry.rulesets["saas"].plugin == "saas"


def test_hooks_have_docstrings():
    for hook in (salesrules_saas.register_functions, salesrules_saas.register_signals, salesrules_saas.register_rulesets):
        assert hook.__doc__


def test_registrations(saas):
    functions = {n: f for n, f in saas.functions.items() if f.plugin == "saas"}
    assert {n: (f.args, f.returns) for n, f in functions.items()} == {
        "arr": (["money"], "money"),
        "usage_ratio": (["numeric", "numeric"], "number"),
        "renewal_window": (["date", "integer"], "boolean"),
    }
    signals = {n: s for n, s in saas.signals.items() if s.plugin == "saas"}
    assert {n: (s.inputs, s.returns) for n, s in signals.items()} == {
        "deal_arr": ({"annual_recurring_revenue": "money", "mrr": "money", "deal_value": "money"}, "money"),
        "expansion_potential": ({"seats_purchasable": "integer", "seats_licensed": "integer", "price_per_seat": "money"}, "money"),
        "product_qualified": ({"active_trial_users": "integer", "key_feature_adoption": "number"}, "boolean"),
    }
    assert all(f.doc for f in functions.values()) and all(s.doc for s in signals.values())
    assert saas.rulesets["saas"].plugin == "saas"
    assert Path(saas.rulesets["saas"].path).is_file()


# ---------------------------------------------------------------- functions


def call_function(registry, name, frame, columns, types, literals=None):
    """Run a registered function's impl over ``frame`` and return the values."""
    args = tuple(pl.col(c) for c in columns)
    literals = literals or (NO_LITERAL,) * len(columns)
    call = Call(name, args, tuple(types), tuple(literals), AS_OF)
    return frame.select(registry.functions[name].impl(call).alias("v"))["v"].to_list()


def test_function_arr(saas):
    frame = pl.DataFrame({"mrr": [1_000.0, 8_333.5, None, 0.0]})
    assert call_function(saas, "arr", frame, ["mrr"], [MONEY]) == [12_000.0, 100_002.0, None, 0.0]
    whole = pl.DataFrame({"mrr": [250]})  # an integer argument still gives money
    assert call_function(saas, "arr", whole, ["mrr"], [INTEGER]) == [3_000.0]


def test_function_usage_ratio(saas):
    frame = pl.DataFrame({
        "used": [30, 50, 0, None, 10, 10, 12],
        "licensed": [100, 40, 20, 20, None, 0, -5],
    })
    assert call_function(saas, "usage_ratio", frame, ["used", "licensed"], [INTEGER, INTEGER]) == [
        0.3, 1.25, 0.0, None, None, None, None,
    ]


def test_function_renewal_window(saas):
    frame = pl.DataFrame({
        "renewal": [
            dt.date(2026, 11, 22),  # today: 0 days
            dt.date(2027, 2, 20),   # 90 days
            dt.date(2027, 2, 21),   # 91 days
            dt.date(2026, 11, 21),  # passed yesterday
            None,
        ],
    })
    types = [DATE, INTEGER]
    args = (pl.col("renewal"), pl.lit(90, pl.Int64))
    call = Call("renewal_window", args, tuple(types), (NO_LITERAL, 90), AS_OF)
    result = frame.select(saas.functions["renewal_window"].impl(call).alias("v"))["v"].to_list()
    assert result == [True, True, False, False, None]


def test_function_renewal_window_rejects_negative_days(saas):
    call = Call("renewal_window", (pl.col("d"), pl.lit(-1)), (DATE, INTEGER), (NO_LITERAL, -1), AS_OF)
    with pytest.raises(ValueError, match="must not be negative"):
        saas.functions["renewal_window"].impl(call)


def test_functions_in_a_ruleset(saas, tmp_path):
    """The expression checker accepts the functions with their declared types, and they evaluate."""
    path = tmp_path / "fn.yaml"
    path.write_text(
        "salesrules: 1\n"
        "name: fn\n"
        "fields:\n"
        "  mrr: money\n"
        "  used: integer\n"
        "  seats: integer\n"
        "  renewal: date\n"
        "factors:\n"
        "  - {name: arr, when: 'arr(mrr) >= 12_000', points: 'arr(mrr)'}\n"
        "  - {name: ratio, when: 'usage_ratio(used, seats) < 0.5', points: 'usage_ratio(used, seats)'}\n"
        "  - {name: renewal, when: 'renewal_window(renewal, 30)', points: 7}\n"
    )
    ruleset = salesrules.load(path)
    result = ruleset.evaluate_one({"mrr": 1_000, "used": 1, "seats": 4, "renewal": "2026-12-22"}, as_of=AS_OF)
    assert result["score"] == 12_000 + 0.25 + 7
    result = ruleset.evaluate_one({"mrr": 999, "used": 2, "seats": 4, "renewal": "2026-12-23"}, as_of=AS_OF)
    assert result["score"] == 0


def test_function_type_errors(saas, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "salesrules: 1\n"
        "name: bad\n"
        "fields: {renewal: date, name: string}\n"
        "factors:\n"
        "  - {name: a, when: 'renewal_window(renewal, -5)', points: 1}\n"
    )
    with pytest.raises(salesrules.RulesetError, match="must not be negative"):
        salesrules.load(path)
    path.write_text(
        "salesrules: 1\n"
        "name: bad\n"
        "fields: {renewal: date, name: string}\n"
        "factors:\n"
        "  - {name: a, when: 'arr(name) > 0', points: 1}\n"
    )
    with pytest.raises(salesrules.RulesetError, match=r"arr\(money\) -> money, from saas: argument 1 must be a number, not name \(text\)"):
        salesrules.load(path)


# ---------------------------------------------------------------- signals


def run_signal(registry, name, data: dict, schema: dict):
    frame = pl.DataFrame(data, schema=schema)
    signal = registry.signals[name]
    inputs = {n: pl.col(n) for n in signal.inputs}
    return frame.select(signal.impl(inputs).alias("v"))["v"].to_list()


def test_signal_deal_arr(saas):
    values = run_signal(
        saas,
        "deal_arr",
        {
            "annual_recurring_revenue": [50_000.0, None, None, None],
            "mrr": [1_000.0, 2_500.0, None, None],
            "deal_value": [9.0, 9.0, 70_000.0, None],
        },
        {"annual_recurring_revenue": pl.Float64, "mrr": pl.Float64, "deal_value": pl.Float64},
    )
    assert values == [50_000.0, 30_000.0, 70_000.0, None]


def test_signal_expansion_potential(saas):
    values = run_signal(
        saas,
        "expansion_potential",
        {
            "seats_purchasable": [200, 50, 40, None, 100],
            "seats_licensed": [50, 50, 60, 10, 10],
            "price_per_seat": [600.0, 600.0, 600.0, 600.0, None],
        },
        {"seats_purchasable": pl.Int64, "seats_licensed": pl.Int64, "price_per_seat": pl.Float64},
    )
    assert values == [90_000.0, 0.0, 0.0, None, None]


def test_signal_product_qualified(saas):
    values = run_signal(
        saas,
        "product_qualified",
        {
            "active_trial_users": [3, 10, 2, 5, None, None, 1],
            "key_feature_adoption": [0.4, 0.95, 0.9, 0.39, 0.8, 0.1, None],
        },
        {"active_trial_users": pl.Int64, "key_feature_adoption": pl.Float64},
    )
    # Three-valued: one failed test is false, a missing input otherwise unknown.
    assert values == [True, True, False, False, None, False, False]


def test_signals_need_their_inputs_declared(saas, tmp_path):
    """A signal is computed only when the ruleset declares all its inputs."""
    path = tmp_path / "partial.yaml"
    path.write_text(
        "salesrules: 1\n"
        "name: partial\n"
        "fields: {seats_licensed: integer, seats_purchasable: integer, price_per_seat: money, mrr: money}\n"
        "factors:\n"
        "  - {name: expand, when: 'expansion_potential > 0', points: 'expansion_potential'}\n"
    )
    ruleset = salesrules.load(path)
    result = ruleset.evaluate_one({"seats_licensed": 5, "seats_purchasable": 8, "price_per_seat": 100}, as_of=AS_OF)
    assert result["score"] == 300
    plan = ruleset.compile(AS_OF)
    names = {e.meta.output_name() for step in plan.steps for e in step}
    assert "expansion_potential" in names
    assert "deal_arr" not in names and "product_qualified" not in names


# ---------------------------------------------------------------- the shipped ruleset


def test_ruleset_loads(ruleset):
    assert ruleset.name == "saas"
    assert ruleset.version == "1.0.0"
    assert ruleset.requires == ["salesrules-saas>=1.0"]
    assert [lv.name for lv in ruleset.tiers.levels] == ["high", "medium", "low"]
    for name in ("mrr", "seats_licensed", "renewal_date", "active_trial_users", "deal_value", "budget_confirmed"):
        assert name in ruleset.fields
    assert "Seats Licensed" in ruleset.fields["seats_licensed"].aliases
    assert "Free Trial" in next(s for s in ruleset.stages if s.name == "evaluation").aliases


def test_ruleset_is_usable_by_plugin_name(saas):
    assert salesrules.load("saas:saas").hash == salesrules.load("builtin:saas").hash


def test_ruleset_own_tests_pass(ruleset):
    results = run_tests(ruleset)
    assert len(results) >= 6
    failed = {r.name: (r.mismatches, r.error) for r in results if not r.passed}
    assert failed == {}


def test_ruleset_tests_cover_every_added_rule(ruleset):
    """Each factor and action the ruleset adds fires in at least one of its tests."""
    standard = salesrules.load("builtin:standard")
    inherited = {f.name for f in standard.factors}
    patterns = {
        f.name: re.compile(".+".join(re.escape(part) for part in re.split(r"\{\w+\}", f.reason)))
        for f in ruleset.factors
        if f.name not in inherited
    }
    added_actions = {a.name for a in ruleset.actions} - {a.name for a in standard.actions}
    fired_factors, fired_actions = set(), set()
    for case in ruleset.tests:
        result = ruleset.evaluate_one(case.record, as_of=case.as_of)
        fired_factors |= {n for n, p in patterns.items() for r in result["reasons"] if p.fullmatch(r)}
        fired_actions |= {a["name"] for a in result["actions"]}
    assert set(patterns) == {"product_qualified", "expansion", "seats_at_limit", "renewal_due", "low_usage"}
    assert fired_factors == set(patterns)
    assert added_actions == {"contact_pql", "propose_expansion", "true_up_seats", "start_renewal", "churn_save"}
    assert fired_actions >= added_actions


def test_crm_export_columns(ruleset):
    """HubSpot/Salesforce-style column names feed the SaaS fields."""
    frame = pl.DataFrame({
        "Deal ID": ["D-1", "D-2", "D-3"],
        "Account Name": ["Acme", "Globex", "Initech"],
        "Amount": ["$5,000.00", "$900.00", None],  # MRR comes first
        "MRR": ["$9,000.00", "$1,000.00", None],
        "Seats Licensed": [100, 20, None],
        "Active Users": [30, 20, None],
        "Renewal Date": ["2027-01-15", None, None],
        "Active Trial Users": [None, None, 4],
        "Key Feature Adoption": [None, None, 0.5],
    })
    results = ruleset.evaluate(frame, as_of=AS_OF)
    rows = {r["id"]: r for r in results.iter_rows(named=True)}
    assert rows["D-1"]["tier"] == "high"  # 12 x 9,000 = 108,000
    assert rows["D-1"]["score"] == 50 + 10 - 15
    assert {a["name"] for a in rows["D-1"]["actions"]} == {"start_renewal", "churn_save"}
    assert rows["D-2"]["tier"] == "low"  # 12,000
    assert rows["D-2"]["score"] == 10 + 10  # low tier + every seat in use
    assert rows["D-3"]["tier"] == "unknown"
    assert rows["D-3"]["stage"] == "evaluation"
    assert "contact_pql" in {a["name"] for a in rows["D-3"]["actions"]}


@pytest.mark.skipif(not EXAMPLES.exists(), reason="the repository's examples are not here")
def test_example_file_without_saas_columns(ruleset):
    """Fields missing from the file are null: the standard rules still run and no SaaS rule fires."""
    results = ruleset.evaluate(EXAMPLES, as_of=AS_OF)
    assert results.height == pl.read_csv(EXAMPLES).height
    assert results["tier"].is_in(["high", "medium", "low", "unknown"]).all()
    saas_actions = {"contact_pql", "propose_expansion", "true_up_seats", "start_renewal", "churn_save"}
    fired = {a["name"] for actions in results["actions"].to_list() for a in actions}
    assert not fired & saas_actions
    standard = salesrules.load("builtin:standard").evaluate(EXAMPLES, as_of=AS_OF)
    # Without ARR or MRR the deal value is the ARR, so tiers follow the SaaS thresholds on it.
    amounts = pl.read_csv(EXAMPLES)["Amount"].str.replace_all(r"[$,]", "").cast(pl.Float64)
    expected = [None if a is None else "high" if a >= 100_000 else "medium" if a >= 25_000 else "low" for a in amounts]
    assert results["tier"].to_list() == [e or "unknown" for e in expected]
    assert results["stage"].to_list() == standard["stage"].to_list()
