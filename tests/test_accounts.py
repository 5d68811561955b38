"""Accounts, territories and segments in the report: figures worked out by hand on a small file
(tests/data/accounts), the same figures computed independently on generated data, the
command line and ``evaluate --with-account``."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import salesrules
from salesrules.cli import cli
from salesrules.reports import report

DATA = Path(__file__).parent / "data" / "accounts"
RULESET = DATA / "ruleset.yaml"
DEALS = DATA / "deals.csv"


@pytest.fixture(scope="module")
def ruleset():
    return salesrules.load(RULESET)


@pytest.fixture(scope="module")
def worked(ruleset):
    return report(ruleset, DEALS)


def by_group(frame: pl.DataFrame) -> dict[str, dict]:
    return {row["group"]: row for row in frame.to_dicts()}


# ---------------------------------------------------------------- accounts, by hand
#
# Values of all deals: Acme 5000 + 800 + 200 = 6000, Bolt 2000 + 500 = 2500, Core 1000,
# Dyna 500, Echo 500, Fox 20; total 10520. 80% is 8416, 95% is 9994.
# Acme: before 0 -> A. Bolt: before 6000 < 8416 -> A (it crosses 80%: 8500).
# Core: before 8500 >= 8416, < 9994 -> B. Dyna and Echo tie at 500: Dyna first by name,
# before 9500 < 9994 -> B; Echo before 10000 -> C. Fox -> C.

def test_accounts_rank_by_value_then_name_and_classify_abc(worked):
    rows = worked.accounts.to_dicts()
    assert [r["group"] for r in rows] == ["Acme", "Bolt", "Core", "Dyna", "Echo", "Fox"]
    assert [r["abc"] for r in rows] == ["A", "A", "B", "B", "C", "C"]
    assert [r["value"] for r in rows] == [6000.0, 2500.0, 1000.0, 500.0, 500.0, 20.0]
    assert [r["deals"] for r in rows] == [3, 2, 1, 1, 1, 1]
    assert [r["open_value"] for r in rows] == [1000.0, 2000.0, 1000.0, 0.0, 500.0, 0.0]
    assert [r["won_value"] for r in rows] == [5000.0, 0.0, 0.0, 500.0, 0.0, 20.0]
    assert rows[0]["share"] == pytest.approx(6000 / 10520)
    assert rows[1]["cumulative_share"] == pytest.approx(8500 / 10520)
    assert rows[-1]["cumulative_share"] == 1.0


def test_account_score_rolls_up_the_open_records_and_takes_the_best_band(worked):
    acc = by_group(worked.accounts)
    # Acme's open records: D2 (prospect, low: 20, C) and D10 (proposal, low: 40, B).
    assert (acc["Acme"]["score"], acc["Acme"]["band"]) == (40.0, "B")
    assert (acc["Bolt"]["score"], acc["Bolt"]["band"]) == (80.0, "A")
    assert (acc["Dyna"]["score"], acc["Dyna"]["band"]) == (None, None)  # no open record


@pytest.mark.parametrize(("rollup", "expected"), [("max", 40.0), ("sum", 60.0), ("mean", 30.0)])
def test_score_rollup_is_configurable(tmp_path, rollup, expected):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace("accounts: {customer: is_customer}",
                                                f"accounts: {{customer: is_customer, score: {rollup}}}"))
    result = report(salesrules.load(path), DEALS)
    assert by_group(result.accounts)["Acme"]["score"] == expected


def test_customers_are_accounts_with_a_won_deal_or_the_declared_field(worked):
    acc = by_group(worked.accounts)
    assert {name for name, row in acc.items() if row["customer"]} == {"Acme", "Core", "Dyna", "Fox"}
    summary = worked.account_summary
    assert (summary["customers"], summary["new_accounts"], summary["without_account"]) == (4, 2, 1)
    assert summary["classes"] == {"A": 2, "B": 2, "C": 2}
    assert summary["text"] == "33% of accounts (2 of 6) bring 81% of value"


def test_abc_by_won_value_and_other_cutoffs(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace(
        "accounts: {customer: is_customer}", "accounts: {value: won, abc: {a: 0.5, b: 0.9}}"))
    result = report(salesrules.load(path), DEALS)
    rows = result.accounts.to_dicts()
    # Won values: Acme 5000, Dyna 500, Fox 20, then Bolt, Core, Echo at 0 by name. Total 5520.
    assert [r["group"] for r in rows] == ["Acme", "Dyna", "Fox", "Bolt", "Core", "Echo"]
    assert [r["abc"] for r in rows] == ["A", "C", "C", "C", "C", "C"]


def test_abc_cutoffs_out_of_order_are_a_ruleset_error(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(RULESET.read_text().replace("accounts: {customer: is_customer}", "accounts: {abc: {a: 0.9, b: 0.5}}"))
    with pytest.raises(salesrules.RulesetError, match=r"a \(0.9\) must not be above b \(0.5\)"):
        salesrules.load(path)


def test_accounts_without_any_value_are_all_c(tmp_path):
    deals = tmp_path / "d.csv"
    deals.write_text("id,company,territory,deal_value,stage\nX1,Xeno,East,0,prospect\nX2,Yaw,East,,prospect\n")
    result = report(salesrules.load(RULESET), deals)
    assert result.accounts["abc"].to_list() == ["C", "C"]
    assert result.accounts["share"].to_list() == [None, None]
    assert result.account_summary["text"] == "no account has any value"


# ---------------------------------------------------------------- territories, by hand
#
# Open: East D2 800, D3 2000, D10 200 (3000; workload 2 + 6 + 2 = 10); West D5 1000, D7 500,
# D8 300 (1800; workload 6); North none. Means: 1600 and 16/3.

def test_territory_indexes_balance_and_performance(worked):
    t = by_group(worked.territories)
    assert list(t) == ["East", "North", "West"]
    assert [t[g]["open_value"] for g in t] == [3000.0, 0.0, 1800.0]
    assert [t[g]["workload"] for g in t] == [10.0, 0.0, 6.0]
    assert [t[g]["potential_index"] for g in t] == [187.5, 0.0, 112.5]
    assert [t[g]["workload_index"] for g in t] == [187.5, 0.0, 112.5]
    assert [t[g]["balanced"] for g in t] == [False, False, True]  # 112.5 is within 100 ± 15
    assert [t[g]["win_rate"] for g in t] == [0.5, 1.0, 1.0]
    # Mean win rate 5/6: above 5/6 × 1.15 is high, below 5/6 × 0.85 low.
    assert [t[g]["performance"] for g in t] == ["low", "high", "high"]
    assert [t[g]["accounts"] for g in t] == [2, 1, 3]
    assert [t[g]["customers"] for g in t] == [1, 1, 2]
    assert [t[g]["new_accounts"] for g in t] == [1, 0, 1]
    assert [t[g]["reps"] for g in t] == [2, 0, 1]
    assert worked.territory_settings == {"by": "territory", "tolerance": 0.15, "performance_by": "win_rate"}


def test_a_territory_without_open_deals_has_index_zero(worked):
    north = by_group(worked.territories)["North"]
    assert (north["open_deals"], north["potential_index"], north["workload_index"], north["balanced"]) == (0, 0.0, 0.0, False)


def test_a_single_territory_is_the_average_and_balanced(tmp_path):
    deals = tmp_path / "d.csv"
    deals.write_text("id,company,territory,deal_value,stage\nS1,Acme,Solo,100,prospect\nS2,Bolt,Solo,50,won\n")
    t = report(salesrules.load(RULESET), deals).territories.to_dicts()
    assert len(t) == 1
    assert (t[0]["potential_index"], t[0]["workload_index"], t[0]["balanced"], t[0]["performance"]) == (100.0, 100.0, True, "average")


def test_attainment_with_territory_quotas_drives_performance(ruleset, tmp_path):
    quotas = tmp_path / "q.csv"
    quotas.write_text("territory,quota\nEast,10000\nWest,500\nNorth,100\n")
    result = report(ruleset, DEALS, by="territory", quotas=str(quotas))
    t = by_group(result.territories)
    assert [t[g]["attainment"] for g in ("East", "North", "West")] == [0.5, 0.2, 1.0]
    # Mean attainment 1.7/3: the low limit is 0.4817 (East at 0.5 is average), the high 0.6517.
    assert [t[g]["performance"] for g in ("East", "North", "West")] == ["average", "low", "high"]
    assert result.territory_settings["performance_by"] == "attainment"


# ---------------------------------------------------------------- segments, by hand

def test_segments_per_classification_with_cost_to_serve(worked):
    rows = [(r["classification"], r["segment"], r["deals"], r["value"], r["cost_per_deal"], r["cost"])
            for r in worked.segments.to_dicts()]
    assert rows == [
        ("tier", "high", 2, 3000.0, None, None),
        ("tier", "low", 4, 1800.0, None, None),
        ("channel", "visit", 2, 3000.0, 100.0, 200.0),
        ("channel", "phone", 4, 1800.0, 1.0, 4.0),
        ("channel", "email", 0, 0.0, 0.01, 0.0),
    ]
    assert worked.segment_totals == [
        {"classification": "tier", "deals": 6, "cost": None},
        {"classification": "channel", "deals": 6, "cost": 204.0},
    ]
    shares = {r["segment"]: (r["deal_share"], r["value_share"]) for r in worked.segments.to_dicts()}
    assert shares["visit"] == (pytest.approx(2 / 6), pytest.approx(3000 / 4800))


# ---------------------------------------------------------------- independent computation

def independent_abc(values: dict[str, int], a: Fraction, b: Fraction) -> dict[str, str]:
    """ABC classes by plain Python: sort by value descending then name; A while the accounts
    before hold less than a of the total, B less than b."""
    order = sorted(values, key=lambda n: (-values[n], n))
    total = sum(values.values())
    classes, before = {}, 0
    for name in order:
        if total <= 0:
            classes[name] = "C"
        elif Fraction(before) < a * total:
            classes[name] = "A"
        elif Fraction(before) < b * total:
            classes[name] = "B"
        else:
            classes[name] = "C"
        before += values[name]
    return classes


deal = st.tuples(
    st.sampled_from(["Acme", "Bolt", "Core", "Dyna", "Echo", "Fox", "Gale", "Hex"]),
    st.sampled_from(["East", "West", "North"]),
    st.integers(min_value=0, max_value=5_000_00),  # cents
    st.sampled_from(["prospect", "proposal", "won", "lost"]),
    st.integers(min_value=0, max_value=4),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(deals=st.lists(deal, min_size=1, max_size=40))
def test_abc_and_territory_indexes_agree_with_an_independent_computation(ruleset, tmp_path, deals):
    path = tmp_path / "gen.csv"
    lines = ["id,company,territory,deal_value,stage,visits"]
    lines += [f"G{i},{c},{t},{v // 100}.{v % 100:02d},{s},{w}" for i, (c, t, v, s, w) in enumerate(deals)]
    path.write_text("\n".join(lines) + "\n")
    result = report(ruleset, path)
    values: dict[str, int] = {}
    for c, _, v, _, _ in deals:
        values[c] = values.get(c, 0) + v
    expected = independent_abc(values, Fraction(8, 10), Fraction(95, 100))
    assert dict(zip(result.accounts["group"], result.accounts["abc"])) == expected
    assert result.accounts["group"].to_list() == sorted(values, key=lambda n: (-values[n], n))
    # Territories: open value and workload against the mean.
    groups = sorted({t for _, t, _, _, _ in deals})
    potential = {g: sum(v for _, t, v, s, _ in deals if t == g and s in ("prospect", "proposal")) for g in groups}
    work = {g: sum(2 * w for _, t, _, s, w in deals if t == g and s in ("prospect", "proposal")) for g in groups}
    rows = by_group(result.territories)
    assert list(rows) == groups
    for g in groups:
        total_p, total_w = sum(potential.values()), sum(work.values())
        if total_p:
            assert rows[g]["potential_index"] == pytest.approx(100 * potential[g] * len(groups) / total_p)
        else:
            assert rows[g]["potential_index"] is None
        if total_w:
            assert rows[g]["workload_index"] == pytest.approx(100 * work[g] * len(groups) / total_w)
        if total_p and total_w:
            within = all(abs(Fraction(x * len(groups), total) - 1) <= Fraction(15, 100)
                         for x, total in ((potential[g], total_p), (work[g], total_w)))
            assert rows[g]["balanced"] == within
        assert rows[g]["open_value"] == potential[g] / 100


# ---------------------------------------------------------------- the command line

def test_report_json_has_the_accounts_territories_and_segments_contract():
    result = CliRunner().invoke(cli, ["report", str(DEALS), "-r", str(RULESET), "-f", "json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc["accounts"]) == {"by", "groups", "summary"}
    assert doc["accounts"]["by"] == "company"
    assert {"group", "deals", "open_value", "won_value", "value", "share", "cumulative_share", "abc", "score",
            "customer"} <= set(doc["accounts"]["groups"][0])
    assert doc["territories"]["by"] == "territory"
    assert {"group", "accounts", "open_deals", "open_value", "workload", "potential_index", "workload_index",
            "balanced", "win_rate"} <= set(doc["territories"]["groups"][0])
    assert doc["segments"]["totals"][1] == {"classification": "channel", "deals": 6, "cost": 204.0}


def test_report_markdown_and_table_show_the_new_sections():
    md = CliRunner().invoke(cli, ["report", str(DEALS), "-r", str(RULESET), "-f", "markdown"])
    assert md.exit_code == 0, md.output
    assert "## Accounts" in md.output and "## Territories" in md.output and "## Segments" in md.output
    assert "33% of accounts (2 of 6) bring 81% of value." in md.output
    table = CliRunner().invoke(cli, ["report", str(DEALS), "-r", str(RULESET), "-f", "table"])
    assert table.exit_code == 0, table.output
    assert "33% of accounts (2 of 6) bring 81% of value; 4 existing customers, 2 new" in table.output
    assert "Cost to serve by channel: 204" in table.output


def test_evaluate_with_account_adds_the_class_and_score_per_record():
    result = CliRunner().invoke(cli, ["evaluate", str(DEALS), "-r", str(RULESET), "--with-account", "-f", "json"])
    assert result.exit_code == 0, result.output
    rows = {r["id"]: (r["account_abc"], r["account_score"]) for r in json.loads(result.output)["records"]}
    assert rows["D1"] == ("A", 40.0)
    assert rows["D3"] == ("A", 80.0)
    assert rows["D6"] == ("B", None)
    assert rows["D7"] == ("C", 20.0)
    assert rows["D8"] == (None, None)


def test_evaluate_with_account_cannot_read_standard_input():
    result = CliRunner().invoke(cli, ["evaluate", "-", "-r", str(RULESET), "--with-account"], input=DEALS.read_text())
    assert result.exit_code == 2
    assert "--with-account reads FILE twice" in result.output


def test_evaluate_with_account_needs_an_account_field(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text("salesrules: 1\nname: x\nfields:\n  id: {type: string, key: true}\n  deal_value: {type: money}\n")
    deals = tmp_path / "d.csv"
    deals.write_text("id,deal_value\n1,5\n")
    result = CliRunner().invoke(cli, ["evaluate", str(deals), "-r", str(path), "--with-account"])
    assert result.exit_code == 2
    assert "--with-account needs an account field" in result.output


# ---------------------------------------------------------------- the Maven CRM data

MAVEN = Path(__file__).parent / "data" / "maven"


def test_maven_accounts_by_revenue_agree_with_the_raw_data():
    result = report(salesrules.load(MAVEN / "accounts.yaml"), MAVEN / "sales_pipeline.csv", by="territory")
    raw = pl.read_csv(MAVEN / "sales_pipeline.csv")
    won = raw.filter(pl.col("deal_stage") == "Won").group_by("account").agg((pl.col("close_value") * 100).sum().cast(pl.Int64))
    values = dict(zip(raw["account"].drop_nulls().unique(), [0] * raw["account"].n_unique()))
    values.update(dict(zip(won["account"], won["close_value"])))
    expected = independent_abc(values, Fraction(8, 10), Fraction(95, 100))
    assert dict(zip(result.accounts["group"], result.accounts["abc"])) == expected
    assert result.account_summary["classes"] == {"A": 59, "B": 18, "C": 8}
    offices = by_group(result.territories)
    open_deals = raw.filter(pl.col("deal_stage").is_in(["Prospecting", "Engaging"]))
    assert sum(o["open_deals"] for o in offices.values()) == open_deals.height
    # Workload: 3 hours per deal in presentation (Engaging), 1 per prospect.
    assert sum(o["workload"] for o in offices.values()) == 3 * (open_deals["deal_stage"] == "Engaging").sum() + (
        open_deals["deal_stage"] == "Prospecting").sum()


def test_lint_counts_the_fields_the_reports_and_assignment_name_as_used(ruleset):
    from salesrules.analysis.lint import lint

    unused = {w.message.split("'")[1] for w in lint(ruleset) if w.code == "unused-field"}
    # territory (reports.pipeline.by, assignment.territory), is_customer (reports.accounts.customer)
    # and visits (the workload) are read; company and owner are only read by default.
    assert unused == {"company", "owner"}


def test_builtin_channel_costs_each_segment_at_100_1_001(tmp_path):
    deals = tmp_path / "d.csv"
    deals.write_text("id,company,deal_value,stage\nC1,Big,200000,prospect\nC2,Mid,5000,prospect\nC3,Mid,4000,lead\n"
                     "C4,Tiny,50,prospect\nC5,Tiny,60,won\n")
    result = report(salesrules.load("builtin:channel"), deals, as_of="2026-11-22")
    channel = {r["segment"]: (r["deals"], r["cost"]) for r in result.segments.to_dicts() if r["classification"] == "channel"}
    assert channel == {"field_visit": (1, 1000.0), "phone": (2, 20.0), "email": (1, 0.1)}
    assert {t["classification"]: t["cost"] for t in result.segment_totals}["channel"] == 1020.1
