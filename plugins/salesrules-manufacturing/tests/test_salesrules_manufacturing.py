import datetime as dt
import json
import os
import re
import subprocess
import sys
from importlib.metadata import entry_points, version
from pathlib import Path

import polars as pl
import pytest
import salesrules_manufacturing as mod

import salesrules
from salesrules.analysis.testing import run_tests
from salesrules.language.functions import NO_LITERAL, Call
from salesrules.plugins import (
    get_registry,
    plugin_list,
)
from salesrules.testing import plugin_registered

AS_OF = dt.date(2026, 11, 22)
HERE = Path(__file__).parent
HOOKS = ["register_functions", "register_rulesets", "register_signals"]


@pytest.fixture(autouse=True)
def plugin():
    """This plugin registered for each test, whether or not it is installed."""
    with plugin_registered(mod, "manufacturing"):
        yield mod


def test_plugin_is_installed():
    assert version("salesrules-manufacturing") == "1.0.0"
    (ep,) = [ep for ep in entry_points(group="salesrules") if ep.name == "manufacturing"]
    assert ep.value == "salesrules_manufacturing"
    assert ep.load() is mod
    (listed,) = [p for p in plugin_list() if p["name"] == "manufacturing"]
    assert listed["hooks"] == HOOKS


def test_plugin_loads_through_its_entry_point():
    env = {**os.environ, "SALESRULES_LOAD_PLUGINS": "manufacturing"}
    out = subprocess.run(
        [sys.executable, "-m", "salesrules", "plugins"], env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == [
        {"name": "manufacturing", "hooks": HOOKS, "package": "salesrules-manufacturing", "version": "1.0.0"}
    ]


def test_registrations():
    registry = get_registry()
    assert {n: f.plugin for n, f in registry.functions.items() if f.plugin == "manufacturing"} == {
        "fiscal_quarter": "manufacturing", "days_to_budget_cycle": "manufacturing", "lead_time_weeks": "manufacturing",
    }
    assert {n: s.returns for n, s in registry.signals.items() if s.plugin == "manufacturing"} == {
        "buying_complexity": "integer", "prototype_stage": "boolean", "capex_cycle_open": "boolean",
    }
    assert registry.rulesets["manufacturing"].path.endswith("manufacturing.yaml")
    assert [f.name for f in registry.output_formats.values() if f.plugin == "manufacturing"] == []


# ---------------------------------------------------------------- functions


def call(fn, frame, *columns, literals=None, as_of=AS_OF):
    args = tuple(pl.col(c) if isinstance(c, str) else pl.lit(c) for c in columns)
    literals = literals or tuple(c if not isinstance(c, str) else NO_LITERAL for c in columns)
    result = fn(Call(fn.__name__, args, (), literals, as_of))
    return frame.select(result.alias("v"))["v"].to_list()


DATES = pl.DataFrame({"d": [dt.date(2026, 7, 1), dt.date(2026, 9, 30), dt.date(2026, 12, 15), dt.date(2027, 1, 1), dt.date(2027, 6, 30), None]})


def test_fiscal_quarter_of_a_july_year():
    assert call(mod.fiscal_quarter, DATES, "d", 7) == [1, 1, 2, 3, 4, None]


def test_fiscal_quarter_of_a_calendar_year():
    assert call(mod.fiscal_quarter, DATES, "d", 1) == [3, 3, 4, 1, 2, None]


def test_fiscal_quarter_with_a_start_month_per_record():
    frame = DATES.head(4).with_columns(m=pl.Series([7, 10, 13, None]))
    assert call(mod.fiscal_quarter, frame, "d", "m") == [1, 4, None, None]


@pytest.mark.parametrize("month", [0, 13, -1, 2.5])
def test_fiscal_quarter_rejects_a_literal_month_outside_the_year(month):
    with pytest.raises(ValueError, match="from 1 to 12"):
        call(mod.fiscal_quarter, DATES, "d", month)


def test_days_to_budget_cycle():
    frame = pl.DataFrame({"m": [1, 11, 12, 7, 0, None]})
    # From 2026-11-22: 2027-01-01, 2027-11-01, 2026-12-01, 2027-07-01; 0 and null are not months.
    assert call(mod.days_to_budget_cycle, frame, "m") == [40, 344, 9, 221, None, None]


def test_days_to_budget_cycle_is_zero_on_the_first_day_of_the_fiscal_year():
    frame = pl.DataFrame({"m": [11, 10]})
    assert call(mod.days_to_budget_cycle, frame, "m", as_of=dt.date(2026, 11, 1)) == [0, 334]


def test_days_to_budget_cycle_with_a_literal_month():
    assert call(mod.days_to_budget_cycle, pl.DataFrame({"x": [1]}), 4) == [130]
    with pytest.raises(ValueError, match="days_to_budget_cycle\\(\\): the fiscal-year start month"):
        call(mod.days_to_budget_cycle, pl.DataFrame({"x": [1]}), 13)


def test_lead_time_weeks():
    frame = pl.DataFrame({"d": [dt.date(2026, 11, 22), dt.date(2026, 11, 28), dt.date(2026, 11, 29),
                                dt.date(2027, 2, 14), dt.date(2026, 11, 21), dt.date(2026, 11, 15), None]})
    assert call(mod.lead_time_weeks, frame, "d") == [0, 0, 1, 12, -1, -1, None]


def test_functions_in_a_ruleset(tmp_path):
    path = tmp_path / "fiscal.yaml"
    path.write_text(
        "salesrules: 1\nname: fiscal\n"
        "fields: {id: {type: string, key: true}, d: date, m: integer}\n"
        "classifications:\n"
        "  quarter:\n"
        "    - {name: first_half, when: 'fiscal_quarter(d, m) <= 2'}\n"
        "    - {name: second_half}\n"
        "actions:\n"
        "  - {name: budget, when: 'days_to_budget_cycle(m) < 60', text: 'budget in {m}', due: 'as_of + 7 * lead_time_weeks(d)'}\n"
    )
    ruleset = salesrules.load(path)
    result = ruleset.evaluate([{"id": "a", "d": "2026-12-15", "m": 7}, {"id": "b", "d": "2026-12-15", "m": 1}], as_of=AS_OF)
    assert result["quarter"].to_list() == ["first_half", "second_half"]
    assert result["actions"].to_list() == [[], [{"name": "budget", "text": "budget in 1", "due": dt.date(2026, 12, 13)}]]


def test_a_literal_month_outside_the_year_is_a_ruleset_error(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(
        "salesrules: 1\nname: bad\nfields: {d: date}\n"
        "factors:\n  - {name: q, when: 'fiscal_quarter(d, 13) == 1', points: 1}\n"
    )
    with pytest.raises(salesrules.RulesetError, match="bad.yaml:5:.*fiscal_quarter\\(date, integer\\) -> integer, from manufacturing: the fiscal-year start month must be a whole number from 1 to 12, not 13"):
        salesrules.load(path)


# ---------------------------------------------------------------- signals


def signal(fn, **columns):
    frame = pl.DataFrame(columns)
    return frame.select(fn({name: pl.col(name) for name in columns}).alias("v"))["v"].to_list()


def test_buying_complexity():
    assert signal(
        mod.buying_complexity,
        sites_involved=[1, 4, 3, 1, None, 0, 2],
        buyer_count=[1, 2, 3, 5, 3, None, -1],
    ) == [0, 4, 4, 4, 2, 0, 1]


def test_prototype_stage():
    assert signal(
        mod.prototype_stage,
        sample_requested=[False, True, False, True, True, None, None],
        prototype_requested=[False, False, True, True, False, True, None],
        sample_approved=[False, False, False, False, True, None, False],
    ) == [False, True, True, True, False, True, False]


def test_capex_cycle_open():
    assert signal(
        mod.capex_cycle_open,
        close_date=[dt.date(2026, 12, 15), dt.date(2027, 1, 15), dt.date(2027, 3, 31), dt.date(2027, 6, 30), None, dt.date(2027, 1, 1)],
        fiscal_year_start=[7, 7, 4, 1, 1, None],
    ) == [True, False, False, True, None, None]


# ---------------------------------------------------------------- the shipped ruleset


def test_the_shipped_ruleset_loads_and_its_tests_pass():
    ruleset = salesrules.load("builtin:manufacturing")
    assert (ruleset.name, ruleset.version) == ("manufacturing", "2026.11")
    results = run_tests(ruleset)
    assert len(results) >= 6
    assert [(r.name, r.mismatches, r.error) for r in results if not r.passed] == []


def test_every_added_rule_is_tested():
    """Each factor and action the ruleset adds fires in at least one of its own tests."""
    ruleset = salesrules.load("builtin:manufacturing")
    standard = salesrules.load("builtin:standard")
    added_factors = {f.name for f in ruleset.factors} - {f.name for f in standard.factors}
    added_actions = {a.name for a in ruleset.actions} - {a.name for a in standard.actions}
    assert len(added_factors) == 10 and len(added_actions) == 4
    fired_reasons, fired_actions = set(), set()
    for case in ruleset.tests:
        result = ruleset.evaluate_one(case.record, as_of=case.as_of)
        fired_reasons |= set(result["reasons"])
        fired_actions |= {a["name"] for a in result["actions"]}
        assert set(case.expect) & {"score", "tier", "actions"}
    patterns = {f.name: re.escape(f.reason).replace("\\{", "{").replace("\\}", "}") for f in ruleset.factors}
    patterns = {n: re.sub(r"\{\w+\}", ".+", p) for n, p in patterns.items()}
    unfired = sorted(n for n in added_factors if not any(re.fullmatch(patterns[n], r) for r in fired_reasons))
    assert unfired == []
    assert added_actions <= fired_actions


def test_the_ruleset_reads_crm_column_names():
    ruleset = salesrules.load("builtin:manufacturing")
    result = ruleset.evaluate(HERE / "opportunities.csv", as_of=AS_OF)
    assert result.select("id", "tier", "stage", "score", "band", "rank").rows() == [
        ("006A1", "high", "negotiation", 80, "A", 1),
        ("006A2", "low", "evaluation", 50, "B", 2),
        ("006A3", "medium", "presentation", 0, "C", 3),
        ("006A4", "low", "won", 30, "C", None),
    ]
    assert result["reasons"][2].to_list() == [
        "Not yet an approved supplier at Norden Steel: supplier qualification comes before any order",
        "Procurement takes 40 weeks",
        "A capital purchase closing late in the customer's fiscal year without a confirmed budget",
        "3 sites and 3 buyers are involved",
    ]


# ---------------------------------------------------------------- CRM import files (built into the core)

SALESFORCE_HEADER = (
    "Id,Priority_Score__c,Priority_Band__c,Value_Tier__c,Priority_Rank__c,Stage_Probability__c,Next_Action__c,"
    "Next_Action_Due__c,Recommended_Actions__c,Score_Reasons__c,Stage_Gaps__c,Scoring_Ruleset__c,"
    "Scoring_Ruleset_Version__c,Scoring_Ruleset_Hash__c,Scored_As_Of__c"
)


def test_evaluate_to_salesforce_csv_from_the_command_line(tmp_path):
    ruleset = salesrules.load("builtin:manufacturing")
    env = {**os.environ, "SALESRULES_LOAD_PLUGINS": "manufacturing"}
    command = [sys.executable, "-m", "salesrules", "evaluate", str(HERE / "opportunities.csv"),
               "-r", "builtin:manufacturing", "--as-of", "2026-11-22", "-f", "salesforce-csv"]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    tail = f"manufacturing,2026.11,{ruleset.hash},2026-11-22"
    assert out.splitlines() == [
        SALESFORCE_HEADER,
        f"006A1,80,A,high,1,60,,,,Budget is confirmed; We are talking to the decision maker; 4 sites and 2 buyers are involved,,{tail}",
        "006A2,50,B,low,2,40,Confirm who signs for Brightline Pumps,2026-11-24,"
        "Confirm who signs for Brightline Pumps (due 2026-11-24); Ask Brightline Pumps for feedback on the sample sent 2026-10-20 (due 2026-11-24),"
        f'"A sample or prototype is out for approval; Needed by 2027-02-14, within 12 weeks",,{tail}',
        "006A3,0,C,medium,3,35,Confirm who signs for Norden Steel,2026-11-24,"
        "Confirm who signs for Norden Steel (due 2026-11-24); Get Norden Steel's project into the capital plan before its fiscal year starts (month 1) (due 2026-12-06); "
        "Start supplier registration with Norden Steel's purchasing (due 2026-11-27); Map the buyers at Norden Steel's 3 sites and who signs the order (due 2026-11-29),"
        "Not yet an approved supplier at Norden Steel: supplier qualification comes before any order; Procurement takes 40 weeks; "
        "A capital purchase closing late in the customer's fiscal year without a confirmed budget; 3 sites and 3 buyers are involved,,"
        f"{tail}",
        f"006A4,30,C,low,,100,,,,Budget is confirmed; We are talking to the decision maker,,{tail}",
    ]
