"""Backtests: exact figures on a small ruleset, and the Maven CRM data against a plain-Python computation."""

import bisect
import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import salesrules
from salesrules.analysis.backtest import auc, backtest
from salesrules.cli.backtest import backtest_command

ROOT = Path(__file__).parent.parent
MAVEN = ROOT / "tests" / "data" / "maven"

RULESET = """\
salesrules: 1
name: small
version: "1"
fields:
  id: {type: string, key: true}
  deal_value: money
  result: {type: string, aliases: [Result]}
  last_stage: {type: string, aliases: ["Last Stage"]}
  stage: {optional: true}  # not in the data: the outcome is in Result
tiers:
  - {name: big, when: "deal_value >= 100", points: 30}
  - {name: small, points: 10}
stages:
  - {name: lead, probability: 0.1, points: 0}
  - {name: demo, probability: 0.5, points: 10, aliases: [Demo]}
  - {name: won, closed: won}
  - {name: lost, closed: lost}
factors:
  - {name: bonus, when: "deal_value >= 150", points: 5}
scores:
  priority:
    bands:
      - {name: A, min: 35}
      - {name: B, min: 20}
      - {name: C}
"""

DATA = """\
id,deal_value,Result,Last Stage
1,200,Won,Demo
2,150,Lost,demo
3,120,Won,lead
4,100,Won,Demo
5,50,Lost,lead
6,60,Won,demo
7,40,Lost,lead
8,500,Open,demo
9,30,lost,Lead
"""


@pytest.fixture
def files(tmp_path):
    (tmp_path / "small.yaml").write_text(RULESET)
    (tmp_path / "deals.csv").write_text(DATA)
    return str(tmp_path / "deals.csv"), str(tmp_path / "small.yaml")


def test_exact_figures(files):
    data, ruleset = files
    result = backtest(salesrules.load(ruleset), data, outcome="Result", won="Won", lost="Lost", stage_field="last stage")
    assert {k: result[k] for k in ("records", "closed", "won", "lost", "win_rate", "auc")} == {
        "records": 9, "closed": 8, "won": 4, "lost": 4, "win_rate": 0.5, "auc": 0.6875,
    }
    assert result["bands"] == [
        {"band": "A", "closed": 2, "won": 1, "lost": 1, "win_rate": 0.5, "lift": 1.0},
        {"band": "B", "closed": 2, "won": 2, "lost": 0, "win_rate": 1.0, "lift": 2.0},
        {"band": "C", "closed": 4, "won": 1, "lost": 3, "win_rate": 0.25, "lift": 0.5},
    ]
    assert result["tiers"] == [
        {"tier": "big", "closed": 4, "won": 3, "lost": 1, "win_rate": 0.75, "lift": 1.5},
        {"tier": "small", "closed": 4, "won": 1, "lost": 3, "win_rate": 0.25, "lift": 0.5},
    ]
    assert result["top_band"] == {"band": "A", "closed": 2, "won": 1, "win_rate": 0.5, "lift": 1.0}
    assert result["stages"] == [
        {"stage": "lead", "probability": 0.1, "reached": 8, "won": 4, "win_rate": 0.5, "difference": 0.4},
        {"stage": "demo", "probability": 0.5, "reached": 4, "won": 3, "win_rate": 0.75, "difference": 0.25},
    ]
    assert result["unmapped_stages"] == 0
    assert result["outcome"] == {"field": "Result", "column": "field 'result'", "won": ["Won"], "lost": ["Lost"]}
    assert result["factors"] == [{
        "factor": "bonus", "fired_won": 1, "fired_lost": 1, "fired_won_share": 0.25, "fired_lost_share": 0.25,
        "win_rate": 0.5, "lift": 1.0, "auc": 0.5,
    }]
    # won 200, 120, 100, 60 against lost 150, 50, 40, 30: 13 of 16 pairs ordered
    assert {f["field"]: f["auc"] for f in result["fields"]}["deal_value"] == 0.8125
    assert result["leaks"] == []


LEAKY = RULESET.replace("""  last_stage: {type: string, aliases: ["Last Stage"]}""", """  last_stage: {type: string, aliases: ["Last Stage"]}
  lost_reason: {type: string, aliases: ["Lost Reason"]}""").replace("""factors:
  - {name: bonus, when: "deal_value >= 150", points: 5}""", """factors:
  - {name: bonus, when: "deal_value >= 150", points: 5}
  - {name: no_objection, when: "lost_reason is None", points: 20}""")


def test_a_field_filled_after_the_outcome_is_a_leak(tmp_path):
    (tmp_path / "leaky.yaml").write_text(LEAKY)
    rows = DATA.splitlines()
    reasons = {"Lost": "price", "lost": "timing"}
    data = [rows[0] + ",Lost Reason"] + [f"{r},{reasons.get(r.split(',')[2], '')}" for r in rows[1:]]
    (tmp_path / "deals.csv").write_text("\n".join(data) + "\n")
    result = backtest(salesrules.load(str(tmp_path / "leaky.yaml")), str(tmp_path / "deals.csv"),
                      outcome="Result", won="Won", lost="Lost")
    assert [(leak["kind"], leak["name"], leak["auc"]) for leak in result["leaks"]] == [
        ("factor", "no_objection", 1.0), ("field", "lost_reason", 1.0),
    ]
    factor = result["factors"][1]
    assert (factor["fired_won"], factor["fired_lost"], factor["win_rate"]) == (4, 0, 1.0)
    assert result["leaks"][1]["message"] == (
        "field 'lost_reason' alone separates won from lost almost perfectly (AUC 1.000): it is probably "
        "filled in after the outcome; a rule that reads it scores the past, not the prospect")


def test_the_outcome_may_be_an_expression_or_a_classification(files):
    data, ruleset = files
    rs = salesrules.load(ruleset)
    by_expression = backtest(rs, data, outcome="result == 'Won' or deal_value > 400")
    assert (by_expression["closed"], by_expression["won"], by_expression["lost"]) == (9, 5, 4)
    assert by_expression["outcome"]["column"] == "expression \"result == 'Won' or deal_value > 400\""
    by_tier = backtest(rs, data, outcome="tier", won="big", lost="small")
    assert (by_tier["closed"], by_tier["won"], by_tier["outcome"]["column"]) == (9, 5, "classification 'tier'")


def test_table_output(files):
    data, ruleset = files
    result = CliRunner().invoke(backtest_command, [
        data, "-r", ruleset, "--outcome", "result", "--won", "won", "--lost", "LOST", "--stage-field", "Last Stage",
        "--as-of", "2026-11-22",
    ])
    assert result.exit_code == 0, result.output
    digest = salesrules.load(ruleset).hash
    assert result.output == f"""\
Backtest of small 1 ({digest}), as of 2026-11-22
Outcome result (field 'result'): won = won; lost = LOST
9 records, 8 closed: 4 won, 4 lost (win rate 50.0%)

Band  closed     won    lost  win rate   lift
A          2       1       1     50.0%   1.00
B          2       2       0    100.0%   2.00
C          4       1       3     25.0%   0.50

Tier   closed     won    lost  win rate   lift
big         4       3       1     75.0%   1.50
small       4       1       3     25.0%   0.50

Top band A: win rate 50.0%, lift 1.00 over the overall 50.0%
Ranking quality: AUC 0.688 (chance that a won deal outscores a lost one; 0.5 is chance, 1.0 perfect)

Factor  fired: won    lost  win rate   lift    AUC
bonus        25.0%   25.0%     50.0%   1.00  0.500

Stage  probability  reached     won  observed  difference
lead         10.0%        8       4     50.0%   +40.0 pts
demo         50.0%        4       3     75.0%   +25.0 pts
"""


def test_errors(files):
    from salesrules.cli import _Group

    data, ruleset = files
    group = _Group("salesrules", commands=[backtest_command])
    runner = CliRunner()
    base = ["backtest", data, "-r", ruleset]
    result = runner.invoke(group, base + ["--outcome", "reslt", "--won", "Won", "--lost", "Lost"])
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: --outcome 'reslt' is neither a field of the ruleset, an input column, a classification nor an "
        "expression over them (did you mean 'result'?)"
    ]
    result = runner.invoke(group, base + ["--outcome", "Result", "--won", "Closed Won", "--lost", "Closed Lost"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "no closed deals" in lines[0] and "values seen: 'Won', 'Lost'" in lines[0]
    result = runner.invoke(group, base + ["--outcome", "Result", "--won", "Won", "--lost", "won"])
    assert result.exit_code == 2 and "both as a won and as a lost value" in result.stderr


def test_auc_ties_and_degenerate_cases():
    import polars as pl

    assert auc(pl.Series([1, 2, 3, 4]), pl.Series([False, False, True, True])) == 1.0
    assert auc(pl.Series([1, 1, 1, 1]), pl.Series([False, True, False, True])) == 0.5
    assert auc(pl.Series([3, 1]), pl.Series([False, True])) == 0.0
    assert auc(pl.Series([3, 1]), pl.Series([True, True])) is None


# ---------------------------------------------------------------- Maven CRM data


def _independent_maven():
    """Scores of the closed Maven deals computed in plain Python from the CSV and maven.yaml's rules."""
    premium = {"GTK 500", "GTX Plus Pro", "GTXPro", "GTX Pro"}
    closed = []
    with open(MAVEN / "sales_pipeline.csv", newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["deal_stage"] not in ("Won", "Lost"):
                continue
            value = float(row["close_value"]) if row["close_value"] else None
            tier = None if value is None else "high" if value >= 5000 else "medium" if value >= 1000 else "low"
            score = {"high": 30, "medium": 20, "low": 10, None: 0}[tier]
            score += 10 if row["product"] in premium else 0
            score -= 10 if not row["account"] else 0
            score = max(score, 0)  # stages won and lost give no points; the score's min is 0
            band = "A" if score >= 40 else "B" if score >= 20 else "C"
            closed.append((row["deal_stage"] == "Won", score, tier or "unknown", band))
    return closed


def _mann_whitney_auc(won_scores, lost_scores):
    lost_sorted = sorted(lost_scores)
    u = 0.0
    for s in won_scores:
        below = bisect.bisect_left(lost_sorted, s)
        ties = bisect.bisect_right(lost_sorted, s) - below
        u += below + ties / 2
    return u / (len(won_scores) * len(lost_scores))


def test_maven_backtest_matches_an_independent_computation():
    result = CliRunner().invoke(backtest_command, [
        str(MAVEN / "sales_pipeline.csv"), "-r", str(MAVEN / "maven.yaml"),
        "--outcome", "deal_stage", "--won", "Won", "--lost", "Lost", "-f", "json",
    ])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    closed = _independent_maven()
    won = [c for c in closed if c[0]]
    assert (document["records"], document["closed"], document["won"], document["lost"]) == (
        8800, len(closed), len(won), len(closed) - len(won))
    assert (document["closed"], document["won"]) == (6711, 4238)
    for key, index in (("bands", 3), ("tiers", 2)):
        name = key[:-1]
        closed_by = Counter(c[index] for c in closed)
        won_by = Counter(c[index] for c in won)
        got = {r[name]: (r["closed"], r["won"]) for r in document[key] if r["closed"]}
        assert got == {k: (closed_by[k], won_by[k]) for k in closed_by}
    expected_auc = _mann_whitney_auc([c[1] for c in won], [c[1] for c in closed if not c[0]])
    assert document["auc"] == round(expected_auc, 4)
    top = document["bands"][0]
    assert document["top_band"]["lift"] == round((top["won"] / top["closed"]) / (len(won) / len(closed)), 4)


def test_maven_backtest_table_runs():
    result = CliRunner().invoke(backtest_command, [
        str(MAVEN / "sales_pipeline.csv"), "-r", str(MAVEN / "maven.yaml"),
        "--outcome", "deal_stage", "--won", "Won", "--lost", "Lost",
    ])
    assert result.exit_code == 0, result.output
    assert "8800 records, 6711 closed: 4238 won, 2473 lost (win rate 63.2%)" in result.output


def test_maven_files_and_provenance_are_together():
    for name in ("sales_pipeline.csv", "accounts.csv", "products.csv", "sales_teams.csv", "PROVENANCE.md", "maven.yaml"):
        assert (MAVEN / name).is_file(), name
    ruleset = salesrules.load(MAVEN / "maven.yaml")
    from salesrules.analysis.testing import run_tests

    assert all(r.passed for r in run_tests(ruleset))
